import { describe, expect, it } from 'vitest';
import { CONNECTION_LABEL, OWNER_LABEL } from '../../src/transports/docker/engine.js';
import { createBody, type DockerLinkOptions } from '../../src/transports/docker/link.js';

const options = (create: Record<string, unknown>): DockerLinkOptions => ({
  image: 'node:20-slim',
  args: undefined,
  env: {},
  volumes: [],
  ports: [],
  network: undefined,
  stderr: 'diagnostics',
  engine: {},
  cpus: undefined,
  memoryBytes: undefined,
  init: true,
  noNewPrivileges: true,
  pull: 'never',
  create,
  maxMessageBytes: 1024,
  name: 'files',
});

describe('the container-create body', () => {
  it("adds the user's create.Labels to the owner and connection labels the orphan sweep looks for", () => {
    const body = createBody(options({ Labels: { team: 'search', [OWNER_LABEL]: 'spoofed' } }), 'files#1');
    expect(body.Labels).toMatchObject({ team: 'search', [CONNECTION_LABEL]: 'files#1' });
    expect(body.Labels?.[OWNER_LABEL]).not.toBe('spoofed');
    expect(body.Labels?.[OWNER_LABEL]).toMatch(/\//);
  });

  it('merges create.HostConfig into ours and keeps other create keys as given', () => {
    const body = createBody(
      options({ HostConfig: { ShmSize: 1024 }, WorkingDir: '/srv' }),
      'files#1',
    ) as Record<string, unknown>;
    expect(body.HostConfig).toMatchObject({ ShmSize: 1024, Init: true });
    expect(body.WorkingDir).toBe('/srv');
  });
});
