import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { quickStart, typescriptBlocks, type Block } from './readme-blocks.js';

/**
 * Every TypeScript block of README.md type-checks (strict, the repository's compiler settings), as:
 * - a complete file when it starts with `import` (the quick start): nothing is added;
 * - a list of class members when it does not parse as a module (`@Cacheable(...) findOne() {...}`):
 *   the body of `class ReadmeExample extends ReadmeContext`, which gives `this.repository`,
 *   `this.products`, `this.cache`, `this.health`, `this.cacheHealth`;
 * - otherwise a module.
 * Members and modules import whatever `readme.prelude.ts` exports that they do not declare themselves:
 * the public API, the Nest decorators and modules shown, the sample `Product` domain, `cacheUrl`.
 */

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const DOCS = join(REPO, 'test/docs');
const PRELUDE = join(DOCS, 'readme.prelude.ts');

interface Snippet {
  block: Block;
  file: string;
  source: string;
  /** Lines added before the block's code. */
  offset: number;
}

function parsesAsModule(code: string): boolean {
  const { diagnostics = [] } = ts.transpileModule(code, { reportDiagnostics: true, compilerOptions: { experimentalDecorators: true } });
  return diagnostics.length === 0;
}

/** Names a module declares or imports at its top level. */
function topLevelNames(code: string): Set<string> {
  const names = new Set<string>();
  for (const statement of ts.createSourceFile('block.ts', code, ts.ScriptTarget.Latest).statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.name) names.add(clause.name.text);
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings)) bindings.elements.forEach((element) => names.add(element.name.text));
      if (bindings && ts.isNamespaceImport(bindings)) names.add(bindings.name.text);
    } else if (ts.isVariableStatement(statement)) {
      statement.declarationList.declarations.forEach((declaration) => ts.isIdentifier(declaration.name) && names.add(declaration.name.text));
    } else if ('name' in statement && statement.name && ts.isIdentifier(statement.name as ts.Node)) {
      names.add((statement.name as ts.Identifier).text);
    }
  }
  return names;
}

function compilerOptions(): ts.CompilerOptions {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(REPO, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (!parsed) throw new Error('tsconfig.json cannot be read');
  return { ...parsed.options, noEmit: true, noUnusedLocals: false, noUnusedParameters: false };
}

/** The prelude's exports, as import specifiers (`type X` for a type: decorated signatures need it). */
function preludeExports(options: ts.CompilerOptions): { name: string; specifier: string }[] {
  const program = ts.createProgram([PRELUDE], options);
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(PRELUDE)!)!;
  return checker.getExportsOfModule(module).map((symbol) => {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    return { name: symbol.name, specifier: target.flags & ts.SymbolFlags.Value ? symbol.name : `type ${symbol.name}` };
  });
}

function snippet(block: Block, index: number, prelude: { name: string; specifier: string }[]): Snippet {
  const file = join(DOCS, `readme-block-${index}.ts`);
  if (block.code.trimStart().startsWith('import ')) return { block, file, source: block.code, offset: 0 };
  const members = !parsesAsModule(block.code);
  const declared = members ? new Set<string>() : topLevelNames(block.code);
  const specifiers = prelude.filter(({ name }) => !declared.has(name)).map(({ specifier }) => specifier);
  const imports = `import { ${specifiers.join(', ')} } from './readme.prelude.js';`;
  if (!members) return { block, file, source: `${imports}\n${block.code}`, offset: 1 };
  return { block, file, source: `${imports}\nexport class ReadmeExample extends ReadmeContext {\n${block.code}\n}`, offset: 2 };
}

function typeErrors(snippets: Snippet[], options: ts.CompilerOptions): string[] {
  const sources = new Map(snippets.map((item) => [item.file, item.source]));
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    sources.has(name) ? ts.createSourceFile(name, sources.get(name)!, language) : getSourceFile(name, language, ...rest);
  host.fileExists = (name) => sources.has(name) || ts.sys.fileExists(name);
  host.readFile = (name) => sources.get(name) ?? ts.sys.readFile(name);
  const program = ts.createProgram([...sources.keys()], options, host);
  return snippets.flatMap(({ block, file, offset }) =>
    ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((diagnostic) => {
      const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      return `README.md:${block.line + line - offset}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
    }),
  );
}

describe('README.md', () => {
  const blocks = typescriptBlocks(readFileSync(join(REPO, 'README.md'), 'utf8'));

  it('has a complete quick start: a file that imports everything it uses', () => {
    const { code } = quickStart(readFileSync(join(REPO, 'README.md'), 'utf8'));

    expect(code).toMatch(/^import /);
    expect(code).toContain('NestFactory.create(AppModule)');
  });

  it('has TypeScript blocks that all type-check', () => {
    const options = compilerOptions();
    const prelude = preludeExports(options);
    const snippets = blocks.map((block, index) => snippet(block, index, prelude));

    expect(blocks.length).toBeGreaterThan(5);
    expect(typeErrors(snippets, options)).toEqual([]);
  }, 120_000);
});
