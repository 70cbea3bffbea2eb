import { createConnection, createServer, type Socket } from 'node:net';

/** A TCP proxy in front of a local port, to cut a client off from Redis while Redis keeps its data. */
export interface TcpProxy {
  port: number;
  url: string;
  /** Destroys every connection (dropping what a {@link blackhole} held) and refuses new ones until {@link restore}. */
  cut(): void;
  restore(): void;
  /**
   * A partition without resets: connections stay open but nothing is delivered in either direction
   * until {@link heal}, which delivers everything held, in order (as TCP retransmits after a network heals).
   */
  blackhole(): void;
  /** Like {@link blackhole} for what Redis sends back only: commands still reach Redis and run. */
  holdReplies(): void;
  /** How many chunks {@link blackhole} or {@link holdReplies} hold. */
  readonly held: number;
  heal(): void;
  close(): Promise<void>;
}

/** Starts a proxy on a free 127.0.0.1 port forwarding to 127.0.0.1:`targetPort`. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const held: [Socket, Buffer][] = [];
  let isCut = false;
  let isHeld = false;
  let repliesHeld = false;
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const forward = (from: Socket, to: Socket, replies: boolean): void => {
    from.on('data', (chunk: Buffer) => {
      if (isHeld || (replies && repliesHeld)) held.push([to, chunk]);
      else if (!to.destroyed) to.write(chunk);
    });
  };
  const server = createServer((client) => {
    track(client);
    if (isCut) return void client.destroy();
    const upstream = createConnection({ port: targetPort, host: '127.0.0.1' });
    track(upstream);
    forward(client, upstream, false);
    forward(upstream, client, true);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    cut() {
      isCut = true;
      isHeld = false;
      repliesHeld = false;
      held.length = 0;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      isCut = false;
    },
    blackhole() {
      isHeld = true;
    },
    holdReplies() {
      repliesHeld = true;
    },
    get held() {
      return held.length;
    },
    heal() {
      isHeld = false;
      repliesHeld = false;
      for (const [to, chunk] of held.splice(0)) if (!to.destroyed) to.write(chunk);
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
