import type * as TfNamespace from '@tensorflow/tfjs';
import { HourglassError, describeError } from '@hourglass/core';

/**
 * The one place in Hourglass that chooses the TensorFlow.js backend. Everything else receives the
 * `tf` namespace from here, so no module can load a backend behind this one's back.
 *
 * Order: the native backend (@tensorflow/tfjs-node, TensorFlow's C library) when its addon loads;
 * otherwise WebAssembly (@tensorflow/tfjs-backend-wasm) with one loud warning, unless native is
 * required (`HOURGLASS_REQUIRE_NATIVE=1`), in which case start-up fails.
 */
export type Tf = typeof TfNamespace;

/** Backends by their tfjs names: `tensorflow` is the native one, `cpu` is plain JavaScript. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  readonly name: BackendName;
  readonly native: boolean;
  readonly tfjsVersion: string;
  /** Version of TensorFlow's C library, when the native backend is active. */
  readonly tensorflowVersion: string | null;
  /** Why the native backend is not active, when it is not. */
  readonly fallbackReason: string | null;
}

export interface BackendOptions {
  /** Fail instead of falling back when the native backend cannot load. */
  readonly requireNative?: boolean;
  /** Use this backend even if native loads (benchmarks compare them side by side). */
  readonly force?: BackendName;
  /** Where the one fallback warning goes; stderr by default. */
  readonly warn?: (message: string) => void;
}

/** Raised when the native backend is required but cannot load. */
export class BackendUnavailableError extends HourglassError {
  constructor(reason: string) {
    super(
      'NATIVE_BACKEND_UNAVAILABLE',
      `the native TensorFlow backend is required (HOURGLASS_REQUIRE_NATIVE=1) but did not load: ${reason}. ` +
        'Run `npm run setup` (or `node scripts/native-backend.mjs --force`) to build it; see docs/native-backend.md.',
    );
  }
}

let loaded: { tf: Tf; info: BackendInfo } | undefined;
let nativeLoadError: string | undefined;

/** Reads `HOURGLASS_REQUIRE_NATIVE` the way every entry point should. */
export function requireNativeFromEnv(env: Readonly<Record<string, string | undefined>>): boolean {
  const value = env.HOURGLASS_REQUIRE_NATIVE;
  return value === '1' || value === 'true';
}

/** Loads and activates the backend once per process; later calls return the same result. */
export async function initBackend(options: BackendOptions = {}): Promise<{ tf: Tf; info: BackendInfo }> {
  if (loaded && (options.force === undefined || loaded.info.name === options.force)) return loaded;
  const native = options.force === undefined || options.force === 'tensorflow' ? tryLoadNative() : undefined;
  if (options.force === 'tensorflow' && !native) throw new BackendUnavailableError(nativeLoadError ?? 'unknown reason');
  if (native && options.force === undefined) {
    loaded = { tf: native, info: await activate(native, 'tensorflow', null) };
    return loaded;
  }
  const reason = options.force ? `backend forced to ${options.force}` : (nativeLoadError ?? 'unknown reason');
  if (!options.force && options.requireNative) throw new BackendUnavailableError(reason);
  const tf = await import('@tensorflow/tfjs');
  const name = options.force ?? 'wasm';
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (!options.force) {
    (options.warn ?? defaultWarn)(
      `WARNING: the native TensorFlow backend did not load (${reason}); falling back to WebAssembly, which is several times ` +
        'slower on large batches. Run `npm run setup` to build the native backend (docs/native-backend.md).',
    );
  }
  loaded = { tf, info: await activate(tf, name, options.force ? null : reason) };
  return loaded;
}

function tryLoadNative(): Tf | undefined {
  // TensorFlow's C++ logging is INFO-level chatter on stderr (CPU feature notes) unless asked
  // otherwise; keep warnings and errors only, but respect an operator's explicit choice.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the addon must load synchronously so a failure is caught here
    return require('@tensorflow/tfjs-node') as Tf;
  } catch (error) {
    nativeLoadError = firstLine(describeError(error));
    return undefined;
  }
}

async function activate(tf: Tf, name: BackendName, fallbackReason: string | null): Promise<BackendInfo> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new HourglassError('BACKEND_INIT_FAILED', `tfjs backend '${name}' failed to initialise`);
  await tf.ready();
  const versions = tf.version as Record<string, string | undefined>;
  return {
    name,
    native: name === 'tensorflow',
    tfjsVersion: versions['tfjs-core'] ?? 'unknown',
    tensorflowVersion: name === 'tensorflow' ? nativeTensorflowVersion(tf) : null,
    fallbackReason,
  };
}

/** TensorFlow's own version, which the native addon reports as `TF_Version` on its binding. */
function nativeTensorflowVersion(tf: Tf): string | null {
  const backend = tf.backend() as unknown as { binding?: { TF_Version?: unknown } };
  const version = backend.binding?.TF_Version;
  return typeof version === 'string' ? version : null;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

function defaultWarn(message: string): void {
  process.stderr.write(`\n${'!'.repeat(100)}\n${message}\n${'!'.repeat(100)}\n\n`);
}
