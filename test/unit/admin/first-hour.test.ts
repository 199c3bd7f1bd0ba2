/**
 * The first hour of a new operator (issue 11): the compose trial, the image, npm start. There is
 * no Docker Compose where the tests run, so the compose file is checked for its rules here: parsed
 * with the yaml package, not run.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { parseConfig } from '../../../src/config';
import { PACKAGE_ROOT } from '../../../src/paths';
import { productionNodeFlags } from '../../../bench/options';

const root = (...p: string[]) => path.join(PACKAGE_ROOT, ...p);

interface Service {
  image?: string;
  build?: unknown;
  volumes?: string[];
  command?: string | string[];
  entrypoint?: string | string[];
  healthcheck?: { test: string | string[] };
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
}

describe('first hour: docker-compose.yml, Dockerfile, npm start', () => {
  const compose = YAML.parse(fs.readFileSync(root('docker-compose.yml'), 'utf8')) as {
    services: Record<string, Service>;
    volumes?: Record<string, unknown>;
    configs?: Record<string, Record<string, unknown>>;
  };
  const services = Object.entries(compose.services);

  it('uses nothing docker-compose 1.29 refuses: no inline config content, no version key needed', () => {
    for (const [name, c] of Object.entries(compose.configs ?? {}))
      assert.equal(c.content, undefined, `configs.${name}.content needs Compose 2.23.1`);
    assert.ok(services.length >= 3);
  });

  it('never bind-mounts the checkout, and runs no npm in a container over its files', () => {
    for (const [name, s] of services) {
      for (const v of s.volumes ?? []) {
        const [source, target] = v.split(':');
        assert.ok(
          !['.', './', '..'].includes(source!.replace(/\/$/, '') || '.'),
          `${name}: mounts the checkout (${v})`,
        );
        assert.notEqual(target, '/app', `${name}: ${v}`);
        if (source!.startsWith('.')) {
          assert.ok(fs.statSync(root(source!)).isFile(), `${name}: bind mounts only single files (${v})`);
          assert.ok(v.endsWith(':ro'), `${name}: read-only (${v})`);
        }
      }
      const run = JSON.stringify([s.command ?? '', s.entrypoint ?? '']);
      assert.doesNotMatch(run, /\bnpm\b/, `${name} runs npm`);
    }
  });

  it('keeps the daemon data in a named volume, where the trial configuration puts dataDir', () => {
    const daemon = compose.services['embargo-list']!;
    assert.ok(daemon.build, 'built from the Dockerfile');
    const data = (daemon.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === '/data');
    assert.ok(data, 'a volume on /data');
    assert.match(data[0]!, /^[a-z][\w-]*$/, 'a named volume, not a host path');
    assert.ok(compose.volumes && data[0]! in compose.volumes, 'declared under volumes:');
    const configMount = (daemon.volumes ?? [])
      .map((v) => v.split(':'))
      .find(([, t]) => t === daemon.environment?.EMBARGO_LIST_CONFIG);
    assert.ok(configMount, 'EMBARGO_LIST_CONFIG names the mounted configuration');
    const config = parseConfig(fs.readFileSync(root(configMount[0]!), 'utf8'), configMount[0]!);
    assert.equal(config.dataDir, '/data');
    assert.deepEqual(config.http.listen, { host: '127.0.0.1', port: 9465 }, 'for the health check');
  });

  it('pins every image to a version and gives every service a health check the others wait for', () => {
    for (const [name, s] of services) {
      if (s.image && !s.build)
        assert.match(s.image, /^[\w./-]+:v?\d+\.\d+(\.\d+)?$/, `${name}: ${s.image} is not pinned`);
      assert.ok(s.healthcheck?.test, `${name}: health check`);
    }
    for (const dep of Object.values(compose.services['embargo-list']!.depends_on ?? {}))
      assert.equal(dep.condition, 'service_healthy');
    assert.deepEqual(Object.keys(compose.services['embargo-list']!.depends_on ?? {}).sort(), ['dovecot', 'mailpit']);
  });

  it('builds the image in two stages from pinned bases, runs as a user that is not root, node as pid 1', () => {
    const lines = fs
      .readFileSync(root('Dockerfile'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'));
    const froms = lines.filter((l) => /^FROM /.test(l));
    assert.ok(froms.length >= 2, 'multi-stage');
    for (const f of froms) assert.match(f, /^FROM [\w./-]+:\d+\.\d+\.\d+[\w.-]*( AS \w+)?$/, f);
    const finalStage = lines.slice(lines.indexOf(froms[froms.length - 1]!));
    const user = finalStage.filter((l) => /^USER /.test(l)).pop();
    assert.ok(user && !/^USER (root|0)\b/.test(user), 'a USER that is not root');
    assert.ok(
      finalStage.some((l) => /^COPY --from=/.test(l)),
      'the run stage copies the build',
    );
    assert.ok(
      finalStage.some((l) => /^(ENTRYPOINT|CMD) \[/.test(l)),
      'exec form',
    );
    const ignored = fs.readFileSync(root('.dockerignore'), 'utf8').split('\n');
    for (const p of ['node_modules', 'dist', 'data']) assert.ok(ignored.includes(p), `.dockerignore: ${p}`);
  });

  it('ships no samples/ in the image: the trial configuration comes from compose, mounted from samples/compose/', () => {
    const copies = fs
      .readFileSync(root('Dockerfile'), 'utf8')
      .split('\n')
      .filter((l) => /^(COPY|ADD) /.test(l));
    assert.ok(copies.length > 0);
    for (const l of copies) assert.doesNotMatch(l, /\bsamples\b/, l);
    const mounted = (compose.services['embargo-list']!.volumes ?? []).map((v) => v.split(':')[0]!);
    assert.ok(
      mounted.some((v) => v.startsWith('./samples/compose/')),
      'compose mounts the trial configuration',
    );
  });

  it('npm start execs node (sh becomes the daemon, so a signal to npm reaches it) with the V8 flags the benchmark uses', () => {
    const pkg = JSON.parse(fs.readFileSync(root('package.json'), 'utf8')) as { scripts: { start: string } };
    assert.match(pkg.scripts.start, /^exec node /);
    assert.equal(productionNodeFlags(), '--max-semi-space-size=8 --max-old-space-size=128');
    assert.match(fs.readFileSync(root('Dockerfile'), 'utf8'), /"--max-semi-space-size=8", "--max-old-space-size=128"/);
  });
});
