// The slice of the untyped `rtpengine-client` package (CommonJS) that ng-client.ts uses.
declare module 'rtpengine-client' {
  import type { EventEmitter } from 'node:events';

  type NgValue = string | number | NgValue[] | { [key: string]: NgValue };
  type NgDict = { [key: string]: NgValue };
  type Dest = { host: string; port: number };

  class Client extends EventEmitter {
    constructor(options: { localAddress?: string; localPort?: number; timeout?: number; rejectOnError?: boolean });
    offer(dest: Dest, params: NgDict): Promise<NgDict>;
    answer(dest: Dest, params: NgDict): Promise<NgDict>;
    delete(dest: Dest, params: NgDict): Promise<NgDict>;
    list(dest: Dest, params: NgDict): Promise<NgDict>;
    query(dest: Dest, params: NgDict): Promise<NgDict>;
    ping(dest: Dest, params?: NgDict): Promise<NgDict>;
    close(): void;
  }

  const rtpengine: { Client: typeof Client };
  export default rtpengine;
}
