// Module resolution hooks for register.js: the host's interfaces resolve to stand-ins.

const HOST = new URL('./host.js', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier.startsWith('junction:connector/host@')) {
    return { url: HOST, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
