// Tenant-scoped query functions: every function that touches tenant data takes `orgId`
// and builds its own `where`, so no router can forget it. Filled in by the api work.
export {};
