/**
 * Where the real-Flink playground lives (playground/flink: the launch scripts, the build,
 * the one version definition) and what it needs on this machine: Java 17+ and Maven. The
 * first build fetches Flink, the Kafka connector and Kafka from Maven Central into
 * ~/.cache/flink-ecs-autoscaler (playground/flink/build.sh); later builds are no-ops.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AutoscalerError } from 'flink-ecs-autoscaler/lib/core/errors';

/** playground/flink: bin/*.sh, build.sh, flink-version.json. */
export const FLINK_PLAYGROUND_DIR = fileURLToPath(new URL('../../flink', import.meta.url));

/** A prerequisite of the real-Flink runs is missing, or the build failed. */
export class FlinkPrerequisiteError extends AutoscalerError {}

/** playground/flink/flink-version.json: the one definition of the versions. */
export interface FlinkVersions {
  readonly flink: string;
  readonly kafkaConnector: string;
  readonly kafka: string;
  readonly scala: string;
  readonly log4j: string;
}

export function flinkVersions(): FlinkVersions {
  return JSON.parse(readFileSync(`${FLINK_PLAYGROUND_DIR}/flink-version.json`, 'utf8')) as FlinkVersions;
}

/** The Java executable the scripts use (playground/flink/bin/lib.sh: $JAVA_HOME/bin/java, else java). */
function javaCommand(env: NodeJS.ProcessEnv): string {
  return env.JAVA_HOME ? `${env.JAVA_HOME}/bin/java` : 'java';
}

/**
 * Java 17+ and Maven, or a FlinkPrerequisiteError naming what is missing and how to get it.
 * Returns the Java specification version and Maven's first line.
 */
export function checkPrerequisites(env: NodeJS.ProcessEnv = process.env): { java: string; maven: string } {
  const java = spawnSync(javaCommand(env), ['-XshowSettings:properties', '-version'], { encoding: 'utf8' });
  if (java.error || java.status !== 0) {
    throw new FlinkPrerequisiteError(
      'real Flink needs Java 17 or later, and no java was found (install openjdk-17-jdk-headless, or set JAVA_HOME)',
    );
  }
  const spec = /java\.specification\.version = (\S+)/.exec(`${java.stdout}${java.stderr}`)?.[1] ?? '';
  const major = Number.parseInt(spec.split('.')[0] === '1' ? (spec.split('.')[1] ?? '') : spec, 10);
  if (!(major >= 17)) {
    throw new FlinkPrerequisiteError(
      `real Flink needs Java 17 or later, found Java ${spec || 'of unknown version'} (install openjdk-17-jdk-headless, or set JAVA_HOME)`,
    );
  }
  const mvn = spawnSync('mvn', ['-v', '-B', '-Dstyle.color=never'], {
    encoding: 'utf8',
    env: { ...env, MAVEN_OPTS: '' },
  });
  if (mvn.error || mvn.status !== 0) {
    throw new FlinkPrerequisiteError(
      'real Flink needs Maven 3.8 or later to fetch Flink and Kafka from Maven Central, and no mvn was found (install maven)',
    );
  }
  const maven = /Apache Maven \S+/.exec(mvn.stdout)?.[0] ?? 'Maven';
  return { java: spec, maven };
}

/**
 * Runs playground/flink/build.sh (idempotent: a no-op when nothing changed; the first run
 * downloads ~140 MB from Maven Central). Its output goes to `log`, line by line.
 */
export async function buildFlink(log: (line: string) => void = () => undefined): Promise<void> {
  const child = spawn('bash', [`${FLINK_PLAYGROUND_DIR}/build.sh`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const onData = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    tail = (tail + text).slice(-4000);
    for (const line of text.split('\n')) if (line.trim() !== '') log(line);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c) => resolve(c));
  });
  if (code !== 0) {
    throw new FlinkPrerequisiteError(`playground/flink/build.sh failed (exit ${code}):\n${tail}`);
  }
}
