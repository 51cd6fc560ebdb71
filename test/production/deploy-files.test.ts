/**
 * The deployment examples under deploy/ agree with each other: the Kubernetes manifests parse and reference each other
 * (names, labels, ports, probe paths, the ConfigMap's .rr.yaml and its mount path, grace periods against
 * endure.grace_period and status.drain_delay, memory against the workers), the ConfigMap holds deploy/burner/.rr.yaml
 * and Burner's own config loader accepts it, the image recipe exposes those ports, HAProxy checks the status port.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { ROOT } from './helpers.js';

const DEPLOY = path.join(ROOT, 'deploy');
const K8S = path.join(DEPLOY, 'kubernetes');

type Doc = Record<string, any>;

function manifests(): Map<string, Doc & { file: string }> {
  const byKind = new Map<string, Doc & { file: string }>();
  for (const file of readdirSync(K8S).filter((f) => f.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(path.join(K8S, file), 'utf8'))) {
      assert.deepEqual(doc.errors, [], `${file} parses`);
      const value = doc.toJS() as Doc;
      assert.ok(value.apiVersion && value.kind, `${file}: apiVersion and kind`);
      assert.ok(!byKind.has(value.kind), `one ${value.kind}`);
      byKind.set(value.kind, { ...value, file });
    }
  }
  return byKind;
}

/** The .rr.yaml through Burner's own loader (as `rr serve` would read it), in a scratch app root. */
function loadRr(text: string, dirs: string[]): Config {
  const root = mkdtempSync(path.join(tmpdir(), 'burner-deploy-'));
  try {
    for (const d of dirs) mkdirSync(path.join(root, d), { recursive: true });
    writeFileSync(path.join(root, '.rr.yaml'), text);
    return loadConfig({ file: path.join(root, '.rr.yaml'), workDir: root, env: {} }).config;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const portOf = (address: string) => Number(address.slice(address.lastIndexOf(':') + 1));
const seconds = (ms: number) => ms / 1000;
const mebibytes = (q: string) => {
  const m = /^(\d+)(Mi|Gi)$/.exec(q);
  assert.ok(m, `memory quantity ${q}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
};

describe('deploy/: Kubernetes manifests, image recipe, HAProxy and .rr.yaml agree', () => {
  const rrText = readFileSync(path.join(DEPLOY, 'burner/.rr.yaml'), 'utf8');
  const rr = loadRr(rrText, ['public']);
  const k = manifests();
  const deployment = k.get('Deployment')!;
  const pod = deployment?.spec.template.spec;
  const container = pod?.containers[0];

  it('the production .rr.yaml loads, with the settings the setup relies on', () => {
    assert.ok(rr.http && rr.status && rr.endure, 'http, status and endure sections');
    assert.ok(rr.http.middleware.includes('proxy_ip_parser'), 'client IP from the balancer');
    assert.ok(rr.http.trusted_subnets.length > 0, 'trusted_subnets set (proxy_ip_parser does nothing without)');
    assert.ok(rr.status.drain_delay > 0, 'status.drain_delay set');
    assert.ok(rr.endure.grace_period > 0);
  });

  it('every manifest parses and kustomization.yaml lists each one', () => {
    for (const kind of ['ConfigMap', 'Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Kustomization']) {
      assert.ok(k.has(kind), `a ${kind}`);
    }
    const listed = new Set<string>(k.get('Kustomization')!.resources);
    const files = readdirSync(K8S).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    assert.deepEqual([...listed].sort(), files.sort());
  });

  it('the ConfigMap holds deploy/burner/.rr.yaml, mounted where the container reads it', () => {
    const cm = k.get('ConfigMap')!;
    assert.equal(cm.data['.rr.yaml'], rrText, 'configmap.yaml has the same .rr.yaml as deploy/burner/.rr.yaml');
    const volume = pod.volumes.find((v: Doc) => v.configMap?.name === cm.metadata.name);
    assert.ok(volume, `a volume from ConfigMap ${cm.metadata.name}`);
    assert.ok(volume.configMap.items.some((i: Doc) => i.key === '.rr.yaml'));
    const mount = container.volumeMounts.find((m: Doc) => m.name === volume.name);
    assert.ok(mount, 'mounted in the container');
    const args: string[] = container.command;
    const config = args[args.indexOf('-c') + 1];
    assert.equal(mount.mountPath, config, 'rr serve -c reads the mounted file');
    assert.equal(path.posix.dirname(mount.mountPath), container.workingDir, 'in the app root (relative paths of .rr.yaml)');
  });

  it('ports and probes: http and status ports from .rr.yaml, every probe on /health of the status port', () => {
    const ports = Object.fromEntries(container.ports.map((p: Doc) => [p.name, p.containerPort]));
    assert.equal(ports.http, portOf(rr.http!.address), 'containerPort http = http.address');
    assert.equal(ports.status, portOf(rr.status!.address), 'containerPort status = status.address');
    assert.match(rr.http!.address, /^0\.0\.0\.0:/, 'http listens on all interfaces in a pod');
    assert.match(rr.status!.address, /^0\.0\.0\.0:/, 'the kubelet reaches the status port');
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      assert.equal(container[probe]?.httpGet?.path, '/health', `${probe} on /health (not /ready: it flaps under load)`);
      assert.equal(container[probe].httpGet.port, 'status', `${probe} on the status port`);
    }
    const service = k.get('Service')!;
    for (const p of service.spec.ports) assert.ok(p.targetPort in ports, `Service targetPort ${p.targetPort} is a container port`);
    assert.ok(!service.spec.ports.some((p: Doc) => p.targetPort === 'status'), 'the status port is not published');
  });

  it('labels and references: Service, PodDisruptionBudget and HPA point at the Deployment', () => {
    const labels = deployment.spec.template.metadata.labels;
    for (const [key, value] of Object.entries(deployment.spec.selector.matchLabels)) assert.equal(labels[key], value);
    for (const [key, value] of Object.entries(k.get('Service')!.spec.selector))
      assert.equal(labels[key], value, 'Service selects the pods');
    for (const [key, value] of Object.entries(k.get('PodDisruptionBudget')!.spec.selector.matchLabels)) assert.equal(labels[key], value);
    const hpa = k.get('HorizontalPodAutoscaler')!;
    assert.deepEqual(
      { kind: hpa.spec.scaleTargetRef.kind, name: hpa.spec.scaleTargetRef.name, apiVersion: hpa.spec.scaleTargetRef.apiVersion },
      { kind: 'Deployment', name: deployment.metadata.name, apiVersion: deployment.apiVersion },
    );
    assert.ok(hpa.spec.minReplicas >= 2, 'two pods at least: one can drain while the other serves');
    assert.ok(container.resources.requests.cpu, 'a cpu request (the HPA computes utilization from it)');
    assert.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0, 'rollouts never drop below the replica count');
  });

  it('shutdown timing: preStop + drain_delay + grace_period fit in terminationGracePeriodSeconds; drain outlasts readiness', () => {
    const preStop = container.lifecycle.preStop.exec.command;
    assert.equal(preStop[0], 'sleep');
    const sleepS = Number(preStop[1]);
    const needed = sleepS + seconds(rr.status!.drain_delay) + seconds(rr.endure!.grace_period);
    assert.ok(
      pod.terminationGracePeriodSeconds >= needed,
      `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} >= preStop ${sleepS} + drain_delay + grace_period = ${needed}`,
    );
    const readiness = container.readinessProbe;
    assert.ok(
      seconds(rr.status!.drain_delay) >= readiness.periodSeconds * readiness.failureThreshold,
      'the readiness probe sees the 503 before the pod stops accepting',
    );
  });

  it('memory: the limit holds every worker at max_worker_memory', () => {
    const workers = rr.http!.pool.num_workers;
    const perWorker = rr.http!.pool.supervisor?.max_worker_memory;
    assert.ok(perWorker, 'supervisor.max_worker_memory set');
    assert.ok(
      mebibytes(container.resources.limits.memory) >= workers * perWorker,
      `${container.resources.limits.memory} >= ${workers} x ${perWorker} MB`,
    );
  });

  it('the image recipe: PHP 8.2 CLI + Node 20, the extensions, the ports and the command the Deployment runs', () => {
    const file = readFileSync(path.join(DEPLOY, 'Containerfile'), 'utf8');
    assert.match(file, /^FROM php:8\.2-cli\S*\s*$/m);
    assert.match(file, /^FROM node:20\S* AS server$/m);
    assert.match(file, /COPY --from=server \/usr\/local\/bin\/node /);
    for (const ext of ['mysqli', 'redis', 'intl', 'opcache']) assert.match(file, new RegExp(`\\b${ext}\\b`), `PHP extension ${ext}`);
    const exposed = /^EXPOSE (.+)$/m.exec(file)![1]!.split(/\s+/).map(Number);
    assert.deepEqual(exposed.sort(), container.ports.map((p: Doc) => p.containerPort).sort());
    assert.match(file, new RegExp(`^WORKDIR ${container.workingDir}$`, 'm'));
    assert.match(file, new RegExp(`^ENTRYPOINT \\["${container.command[0]}"\\]$`, 'm'), 'the Deployment runs the image entrypoint');
    assert.match(file, new RegExp(`:${portOf(rr.status!.address)}/health`), 'HEALTHCHECK on the status port');
  });

  it('HAProxy checks /health on the status port of each instance and forwards to the http port', () => {
    const cfg = readFileSync(path.join(DEPLOY, 'haproxy/haproxy.cfg'), 'utf8');
    assert.match(cfg, /http-check send meth GET uri \/health$/m);
    const ds = /^\s*default-server inter (\d+)s fall (\d+) rise \d+ check port (\d+)$/m.exec(cfg);
    assert.ok(ds, 'default-server line');
    assert.equal(Number(ds[3]), portOf(rr.status!.address), 'health checks on status.address');
    assert.ok(seconds(rr.status!.drain_delay) >= Number(ds[1]) * Number(ds[2]), 'drain_delay >= inter x fall');
    const servers = [...cfg.matchAll(/^\s*server \S+ [\d.]+:(\d+)$/gm)];
    assert.ok(servers.length >= 2, 'two instances or more');
    for (const s of servers) assert.equal(Number(s[1]), portOf(rr.http!.address));
    for (const h of ['Forwarded', 'X-Forwarded-For', 'X-Real-Ip', 'True-Client-Ip', 'Cf-Connecting-Ip', 'X-Forwarded-Proto']) {
      assert.match(cfg, new RegExp(`http-request del-header ${h}$`, 'm'), `the client's own ${h} is dropped`);
    }
  });
});
