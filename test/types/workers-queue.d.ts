// The Node-side type project (tsconfig.node.json) reaches src/config.ts through the local-stack
// test, which checks that the stack knows every setting the worker reads. The Workers type library
// cannot join that project (it declares URL, Response… unlike Node's), so the one Workers type the
// config names is declared here, opaquely: Node-side code never calls the binding.
declare interface Queue<Body = unknown> {
  readonly __queueBody?: Body;
}
