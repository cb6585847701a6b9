// The official commercetools Connect TypeScript client, unchanged, against this server.
//
// Run: node --test-reporter=spec sdk_flow.test.mjs, with
//   CONNECT_API_URL            the server, e.g. http://127.0.0.1:8000
//   CONNECT_AUTH_URL           the OAuth server (default: CONNECT_API_URL)
//   CTP_PROJECT_KEY            a project that has no drafts yet (counts are checked exactly)
//   CTP_CLIENT_ID, CTP_CLIENT_SECRET   an API client of that project with manage_connectors
//   CONNECTOR_REPOSITORY_URL   a repository with a valid connect.yaml at CONNECTOR_REPOSITORY_TAG
//   CONNECTOR_REPOSITORY_TAG   default 1.0.0
// Every draft the flow creates is deleted again, also when a step fails.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';

import { ApiRequest, createApiClient } from '@commercetools-connect/sdk';
import { ClientBuilder } from '@commercetools/ts-client';

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`Environment variable ${name} is required (see the top of this file).`);
  }
  return value;
}

const apiUrl = required('CONNECT_API_URL');
const authUrl = process.env.CONNECT_AUTH_URL || apiUrl;
const projectKey = required('CTP_PROJECT_KEY');
const repository = {
  url: required('CONNECTOR_REPOSITORY_URL'),
  tag: process.env.CONNECTOR_REPOSITORY_TAG || '1.0.0',
};

const ctpClient = new ClientBuilder()
  .withProjectKey(projectKey)
  .withClientCredentialsFlow({
    host: authUrl,
    projectKey,
    credentials: {
      clientId: required('CTP_CLIENT_ID'),
      clientSecret: required('CTP_CLIENT_SECRET'),
    },
    scopes: [`manage_connectors:${projectKey}`],
    httpClient: fetch,
  })
  .withHttpMiddleware({ host: apiUrl, httpClient: fetch })
  .build();

const executeRequest = (request) => ctpClient.execute(request);
const api = createApiClient(executeRequest, apiUrl);

// The SDK has request builders for GET and POST on drafts but none for DELETE, so the delete
// goes through the SDK's own ApiRequest (same URI building, same executor) instead.
function deleteDraft({ id, key, version }) {
  return new ApiRequest(
    {
      baseUri: apiUrl,
      method: 'DELETE',
      uriTemplate: id ? '/connectors/drafts/{ID}' : '/connectors/drafts/key={key}',
      pathVariables: id ? { ID: id } : { key },
      queryParams: version === undefined ? {} : { version },
      headers: {},
    },
    executeRequest,
  );
}

// --- expectations that show the response body when they are not met ----------------------

function show(value) {
  if (value instanceof Error && !('body' in value)) {
    return `${value.name}: ${value.message}`;
  }
  return JSON.stringify(value, null, 2);
}

async function expectStatus(request, statusCode) {
  const { method, uri } = request.clientRequest();
  let response;
  try {
    response = await request.execute();
  } catch (error) {
    const body = error?.body ?? error?.error ?? error;
    throw new Error(
      `${method} ${uri}: expected HTTP ${statusCode}, got ${error?.statusCode}: ${show(body)}`,
    );
  }
  if (response.statusCode !== statusCode) {
    throw new Error(
      `${method} ${uri}: expected HTTP ${statusCode}, got ${response.statusCode}: ` +
        show(response.body),
    );
  }
  return response;
}

async function expectErrorResponse(request, statusCode, code) {
  const { method, uri } = request.clientRequest();
  let response;
  try {
    response = await request.execute();
  } catch (error) {
    const body = error?.body ?? error?.error;
    const context = `${method} ${uri}: expected ${statusCode} ${code}, got ${error?.statusCode}`;
    assert.equal(error?.statusCode, statusCode, `${context}: ${show(body ?? error)}`);
    assert.ok(body && typeof body === 'object', `${context}: the body is not JSON: ${show(body)}`);
    assert.equal(body.statusCode, statusCode, `${context}: statusCode in ${show(body)}`);
    assert.equal(typeof body.message, 'string', `${context}: message in ${show(body)}`);
    assert.ok(body.message.length > 0, `${context}: empty message in ${show(body)}`);
    assert.ok(Array.isArray(body.errors) && body.errors.length > 0, `${context}: ${show(body)}`);
    assert.equal(body.errors[0].code, code, `${context}: errors[0].code in ${show(body)}`);
    assert.equal(typeof body.errors[0].message, 'string', `${context}: ${show(body)}`);
    return body;
  }
  throw new Error(
    `${method} ${uri}: expected ${statusCode} ${code}, got ${response.statusCode}: ` +
      show(response.body),
  );
}

function namesOf(page) {
  return page.results.map((draft) => draft.name);
}

function assertPage(page, { total, offset, names }) {
  const context = show({ ...page, results: namesOf(page) });
  assert.equal(page.total, total, `total in ${context}`);
  assert.equal(page.offset, offset, `offset in ${context}`);
  assert.equal(page.count, page.results.length, `count in ${context}`);
  assert.deepEqual(namesOf(page), names, `results in ${context}`);
}

// --- the flow ---------------------------------------------------------------------------

const run = randomUUID().slice(0, 8);
const samples = {
  alpha: { name: `Alpha payments ${run}`, integrationTypes: ['psp'] },
  beta: { name: `Beta tax ${run}`, integrationTypes: ['tax', 'erp'] },
  gamma: { name: `Gamma search ${run}`, integrationTypes: ['search'] },
};
const created = {}; // sample name -> the draft as created
const live = new Set(); // ids of drafts still to delete
const partnerProject = 'us-central1.gcp:partner-shop';

function draftFor(sample) {
  return {
    key: `sdk-compat-${run}-${sample}`,
    name: samples[sample].name,
    description: `Created by the official SDK (${sample})`,
    integrationTypes: samples[sample].integrationTypes,
    creator: { email: 'creator@connector.example', name: 'SDK Compat', company: 'Example' },
    repository,
    supportedRegions: ['europe-west1.gcp'],
  };
}

let broken = false;

// A step after a failed one is skipped: each builds on what the steps before it left.
function step(name, body) {
  it(name, async (t) => {
    if (broken) {
      t.skip('an earlier step failed');
      return;
    }
    try {
      await body();
    } catch (error) {
      broken = true;
      throw error;
    }
  });
}

describe(`the official Connect SDK against ${apiUrl} (project ${projectKey})`, () => {
  after(async () => {
    for (const id of live) {
      try {
        await deleteDraft({ id }).execute();
      } catch (error) {
        console.error(`cleanup: could not delete draft ${id}: ${show(error?.body ?? error)}`);
      }
    }
  });

  step('gets a token and finds the project without drafts', async () => {
    const { body } = await expectStatus(api.connectors().drafts().get(), 200);
    assert.equal(body.total, 0, `the project must start empty: ${show(body)}`);
    assert.deepEqual(body.results, []);
  });

  step('creates three drafts from the repository', async () => {
    for (const sample of Object.keys(samples)) {
      const request = api.connectors().drafts().post({ body: draftFor(sample) });
      const response = await expectStatus(request, 201);
      const draft = response.body;
      live.add(draft.id);
      created[sample] = draft;
      const context = show(draft);
      assert.match(draft.id, /^[0-9a-f-]{36}$/, context);
      assert.equal(draft.key, draftFor(sample).key, context);
      assert.equal(draft.version, 1, context);
      assert.equal(draft.status, 'Draft', context);
      assert.equal(draft.isPreviewable, 'none', context);
      assert.equal(draft.private, true, context);
      assert.equal(draft.hasChanges, false, context);
      assert.equal(draft.alreadyListed, false, context);
      assert.deepEqual(draft.repository, repository, context);
      assert.deepEqual(draft.integrationTypes, samples[sample].integrationTypes, context);
      assert.deepEqual(draft.privateProjects, [], context);
      // connect.yaml was read at the tag: its applications are the draft's configurations.
      assert.ok(draft.configurations.length > 0, context);
      assert.ok(
        draft.configurations.some((application) => application.applicationName === 'service'),
        context,
      );
      assert.ok(response.headers?.['x-correlation-id'], 'no X-Correlation-ID header');
      console.log(`created ${sample}: ${draft.id} (key ${draft.key})`);
    }
  });

  step('reads a draft by id and by key', async () => {
    const alpha = created.alpha;
    const byId = await expectStatus(api.connectors().drafts().withId({ ID: alpha.id }).get(), 200);
    assert.deepEqual(byId.body, alpha);
    const request = api.connectors().drafts().withKey({ key: alpha.key }).get();
    const byKey = await expectStatus(request, 200);
    assert.deepEqual(byKey.body, alpha);
  });

  step('queries with sort, limit and offset', async () => {
    const drafts = api.connectors().drafts();
    const first = await expectStatus(
      drafts.get({ queryArgs: { sort: 'name asc', limit: 2, offset: 0 } }),
      200,
    );
    assertPage(first.body, {
      total: 3,
      offset: 0,
      names: [samples.alpha.name, samples.beta.name],
    });
    assert.equal(first.body.limit, 2);
    const second = await expectStatus(
      drafts.get({ queryArgs: { sort: 'name asc', limit: 2, offset: 2 } }),
      200,
    );
    assertPage(second.body, { total: 3, offset: 2, names: [samples.gamma.name] });
    const descending = await expectStatus(
      drafts.get({ queryArgs: { sort: ['key desc', 'createdAt asc'] } }),
      200,
    );
    assertPage(descending.body, {
      total: 3,
      offset: 0,
      names: [samples.gamma.name, samples.beta.name, samples.alpha.name],
    });
  });

  step('filters by isPrivate and integrationTypes', async () => {
    const drafts = api.connectors().drafts();
    const query = async (queryArgs) =>
      (await expectStatus(drafts.get({ queryArgs: { sort: 'name asc', ...queryArgs } }), 200))
        .body;
    const all = [samples.alpha.name, samples.beta.name, samples.gamma.name];
    assertPage(await query({ isPrivate: true }), { total: 3, offset: 0, names: all });
    assertPage(await query({ isPrivate: false }), { total: 0, offset: 0, names: [] });
    assertPage(await query({ integrationTypes: 'psp' }), {
      total: 1,
      offset: 0,
      names: [samples.alpha.name],
    });
    assertPage(await query({ integrationTypes: ['erp', 'search'] }), {
      total: 2,
      offset: 0,
      names: [samples.beta.name, samples.gamma.name],
    });
  });

  step('updates with several actions in one request', async () => {
    const alpha = created.alpha;
    const request = api
      .connectors()
      .drafts()
      .withId({ ID: alpha.id })
      .post({
        body: {
          version: alpha.version,
          actions: [
            { action: 'setName', name: `Alpha payments renamed ${run}` },
            { action: 'setDescription', description: 'Renamed through the SDK' },
            { action: 'addPrivateProject', privateProject: partnerProject },
            { action: 'setCreatorCompany', creatorCompany: 'Example Payments' },
          ],
        },
      });
    const { body } = await expectStatus(request, 201);
    const context = show(body);
    assert.equal(body.version, alpha.version + 1, context);
    assert.equal(body.name, `Alpha payments renamed ${run}`, context);
    assert.equal(body.description, 'Renamed through the SDK', context);
    assert.deepEqual(body.privateProjects, [partnerProject], context);
    assert.equal(body.creator.company, 'Example Payments', context);
    created.alpha = body;
  });

  step('gets a 409 ConcurrentModification for a stale version', async () => {
    const alpha = created.alpha;
    const stale = alpha.version - 1;
    const request = api
      .connectors()
      .drafts()
      .withId({ ID: alpha.id })
      .post({ body: { version: stale, actions: [{ action: 'setName', name: 'Never applied' }] } });
    const body = await expectErrorResponse(request, 409, 'ConcurrentModification');
    assert.equal(body.errors[0].expectedVersion, stale, show(body));
    assert.equal(body.errors[0].currentVersion, alpha.version, show(body));
    const unchanged = await expectStatus(
      api.connectors().drafts().withId({ ID: alpha.id }).get(),
      200,
    );
    assert.deepEqual(unchanged.body, alpha);
  });

  step('gets a 404 ResourceNotFound for an unknown id or key', async () => {
    const drafts = api.connectors().drafts();
    const unknown = randomUUID();
    await expectErrorResponse(drafts.withId({ ID: unknown }).get(), 404, 'ResourceNotFound');
    await expectErrorResponse(
      drafts
        .withId({ ID: unknown })
        .post({ body: { version: 1, actions: [{ action: 'setName', name: 'Nobody' }] } }),
      404,
      'ResourceNotFound',
    );
    await expectErrorResponse(
      drafts.withKey({ key: `no-such-draft-${run}` }).get(),
      404,
      'ResourceNotFound',
    );
  });

  step('finds no production Connector before a publish', async () => {
    const connectors = api.connectors();
    await expectErrorResponse(
      connectors.withId({ ID: created.alpha.id }).get(),
      404,
      'ResourceNotFound',
    );
    await expectErrorResponse(
      connectors.withKey({ key: created.alpha.key }).get(),
      404,
      'ResourceNotFound',
    );
    const search = await expectStatus(
      connectors.search().get({ queryArgs: { text: run, limit: 10 } }),
      200,
    );
    assertPage(search.body, { total: 0, offset: 0, names: [] });
  });

  step('deletes the drafts, after which they are not found', async () => {
    const { alpha, beta, gamma } = created;
    const byId = await expectStatus(deleteDraft({ id: alpha.id, version: alpha.version }), 200);
    assert.equal(byId.body.id, alpha.id, show(byId.body));
    assert.equal(byId.body.version, alpha.version, show(byId.body));
    live.delete(alpha.id);
    const byKey = await expectStatus(deleteDraft({ key: beta.key }), 200);
    assert.equal(byKey.body.id, beta.id, show(byKey.body));
    live.delete(beta.id);
    await expectStatus(deleteDraft({ id: gamma.id }), 200);
    live.delete(gamma.id);

    const drafts = api.connectors().drafts();
    await expectErrorResponse(drafts.withId({ ID: alpha.id }).get(), 404, 'ResourceNotFound');
    await expectErrorResponse(drafts.withKey({ key: beta.key }).get(), 404, 'ResourceNotFound');
    await expectErrorResponse(deleteDraft({ id: gamma.id }), 404, 'ResourceNotFound');
    const { body } = await expectStatus(drafts.get(), 200);
    assert.equal(body.total, 0, show(body));
  });
});
