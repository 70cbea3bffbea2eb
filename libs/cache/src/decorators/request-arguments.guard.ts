/** Where Nest keeps a handler's parameter decorators (`@Req()`, `@Body()`...), on the class, per method. */
// NOTE: Nest's ROUTE_ARGS_METADATA and RouteParamtypes values (stable since Nest 5; not exported publicly).
const ROUTE_ARGS_METADATA = '__routeArguments__';
const UNHASHABLE = new Map<number, string>([
  [0, '@Req()'],
  [1, '@Res()'],
  [2, '@Next()'],
  [3, '@Body()'],
]);

interface RouteArgument {
  index: number;
  data?: unknown;
}

/**
 * Why a default key (a hash of every argument) cannot work for `methodName`: a parameter takes the
 * request, the response, `next` or the whole body. `undefined` when nothing is wrong.
 */
export function requestArgumentProblem(target: object, methodName: string): string | undefined {
  const routeArguments = Reflect.getMetadata(ROUTE_ARGS_METADATA, target.constructor, methodName) as Record<string, RouteArgument> | undefined;
  for (const [slot, argument] of Object.entries(routeArguments ?? {})) {
    const decorator = UNHASHABLE.get(Number(slot.split(':')[0]));
    if (decorator === undefined || (decorator === '@Body()' && argument.data !== undefined)) continue;
    return `the default key would hash the ${decorator} argument ${argument.index}; give a \`key\` built from the arguments that identify the result`;
  }
  return undefined;
}
