# Burner server configuration (RoadRunner .rr.yaml format, version 3), written by `php spark burner:init`.
# Start with `php spark burner:start`, or `vendor/bin/rr serve -c .rr.yaml` from this directory.
version: "3"

server:
  # The CodeIgniter worker of burner/burner, run from the project root (the directory of this file).
  # OPcache also in the CLI: faster, and CodeIgniter re-reads files such as app/Config/Routes.php on every
  # request, which without OPcache costs memory in a long-lived process.
  command: "{{php}} -d opcache.enable_cli=1 {{worker}}"
  relay: pipes
  # Burner's own (default batch): the server and its workers run under Linux's SCHED_BATCH, so a process woken by I/O
  # does not preempt a running one and events are taken in batches under load. "workers" applies it to the workers
  # only (no loss for pages without I/O served to one client at a time); "normal" keeps the policy as started.
  scheduling: batch

http:
  address: 0.0.0.0:8080
  middleware: ["static"]
  static:
    dir: "public"
    forbid: [".php", ".htaccess"]
  pool:
    num_workers: {{workers}}
    max_jobs: 0
    # Burner's own (default true): while every worker is busy and requests wait, one request is written ahead to a
    # busy worker, which starts it without waiting for a round trip through the server.
    pipelining: true
    supervisor:
      max_worker_memory: 256

rpc:
  listen: tcp://127.0.0.1:6001

logs:
  mode: production
  level: info
