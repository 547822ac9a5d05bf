// GOV.UK Notify's official Node client (notifications-node-client, unmodified, from npm) driven
// against the running platform the way an integrator uses it: every send, read, template and
// received-text call, and every error class it can meet. Run by tests/e2e/clients/test_node_client.py,
// which sets up the service and passes its ids and keys in NOTIFY_* environment variables.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { NotifyClient } = require('notifications-node-client');

const env = (name) => {
  const value = process.env[name];
  assert.ok(value, `${name} is not set`);
  return value;
};
const url = env('NOTIFY_API_URL');
const client = new NotifyClient(url, env('NOTIFY_API_KEY'));
const ids = {
  sms: env('NOTIFY_SMS_TEMPLATE_ID'),
  email: env('NOTIFY_EMAIL_TEMPLATE_ID'),
  fileEmail: env('NOTIFY_FILE_EMAIL_TEMPLATE_ID'),
  letter: env('NOTIFY_LETTER_TEMPLATE_ID'),
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const ADDRESS = { address_line_1: 'Ada Lovelace', address_line_2: '1 Street', postcode: 'SW1A 1AA' };
const marker = randomUUID().slice(0, 8);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Polls until check() returns something truthy (the platform is asynchronous behind the API).
async function until(what, check, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result) return result;
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${timeoutMs / 1000}s`);
    await sleep(250);
  }
}

// The error the client rejects with: axios's, with Notify's error body as response.data.
async function refusal(promise) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error.response, `no HTTP response: ${error}`);
    return { status: error.response.status, body: error.response.data };
  }
  assert.fail('the call was not refused');
}

function assertNotifyError(refused, status, error, message) {
  assert.equal(refused.status, status, JSON.stringify(refused.body));
  assert.equal(refused.body.status_code, status);
  assert.deepEqual(refused.body.errors, [{ error, message }]);
}

function assertTimestamp(value) {
  assert.equal(typeof value, 'string');
  assert.ok(!Number.isNaN(Date.parse(value)), `not a timestamp: ${value}`);
}

function assertTemplateRef(template, id) {
  assert.deepEqual(Object.keys(template).sort(), ['id', 'uri', 'version']);
  assert.equal(template.id, id);
  assert.equal(template.version, 1);
  assert.equal(template.uri, `${url}/v2/template/${id}`);
}

// Every page of a listing, following older_than from the last item of each page until one is empty.
async function allPages(fetchPage) {
  const seen = [];
  let olderThan;
  for (;;) {
    const page = (await fetchPage(olderThan)).data;
    const items = page.notifications ?? page.received_text_messages;
    if (items.length === 0) return seen;
    assert.equal(new URL(page.links.next).searchParams.get('older_than'), items[items.length - 1].id);
    seen.push(...items);
    olderThan = items[items.length - 1].id;
  }
}

const sent = {};

test('a text message is sent with personalisation, a reference and an SMS sender id', async () => {
  const response = await client.sendSms(ids.sms, '07700 900 123', {
    personalisation: { name: 'Ada', code: 123 },
    reference: `sms-${marker}`,
    smsSenderId: env('NOTIFY_SMS_SENDER_ID'),
  });
  assert.equal(response.status, 201);
  const body = response.data;
  assert.match(body.id, UUID);
  assert.equal(body.reference, `sms-${marker}`);
  // Text messages start with the service's name unless the service turns that off, as in Notify.
  const smsBody = `${env('NOTIFY_SERVICE_NAME')}: Hello Ada, your code is 123.`;
  assert.deepEqual(body.content, { body: smsBody, from_number: 'Clients' });
  assert.equal(body.uri, `${url}/v2/notifications/${body.id}`);
  assertTemplateRef(body.template, ids.sms);
  assert.equal(body.scheduled_for, null);
  sent.sms = body.id;

  const read = (await client.getNotificationById(body.id)).data;
  assert.equal(read.id, body.id);
  assert.equal(read.type, 'sms');
  assert.equal(read.reference, `sms-${marker}`);
  assert.equal(read.body, smsBody);
  assert.equal(read.template.id, ids.sms);
  assert.equal(read.email_address, null);
  assertTimestamp(read.created_at);
  assert.equal(read.created_by_name, null);
  assert.ok(['created', 'sending', 'pending', 'sent', 'delivered'].includes(read.status), read.status);
  const delivered = await until('the text message being delivered', async () => {
    const now = (await client.getNotificationById(body.id)).data;
    return now.status === 'delivered' && now;
  });
  assertTimestamp(delivered.completed_at);
  assert.ok(Date.parse(delivered.completed_at) >= Date.parse(delivered.created_at));
  assert.equal(typeof delivered.is_cost_data_ready, 'boolean');
  // The projection applies the provider's receipt and the sender's hand-over independently, so
  // sent_at can follow the delivered status by a moment.
  const handedOver = await until('sent_at being set', async () => {
    const now = (await client.getNotificationById(body.id)).data;
    return now.sent_at && now;
  });
  assertTimestamp(handedOver.sent_at);
  assert.ok(Date.parse(handedOver.sent_at) >= Date.parse(handedOver.created_at));
});

test('an email is sent with personalisation, a reference and a reply-to address id', async () => {
  const response = await client.sendEmail(ids.email, 'someone@example.com', {
    personalisation: { name: 'Bo' },
    reference: `email-${marker}`,
    emailReplyToId: env('NOTIFY_EMAIL_REPLY_TO_ID'),
  });
  assert.equal(response.status, 201);
  const body = response.data;
  assert.match(body.id, UUID);
  assert.equal(body.reference, `email-${marker}`);
  assert.equal(body.content.subject, 'Hello Bo');
  assert.match(body.content.body, /Dear Bo\./);
  assert.equal(body.content.from_email, `${env('NOTIFY_EMAIL_FROM')}@notifications.service.gov.uk`);
  assert.equal(body.content.one_click_unsubscribe_url, null);
  assert.deepEqual(body.sanitised_content, {});
  assertTemplateRef(body.template, ids.email);
  sent.email = body.id;

  const read = (await client.getNotificationById(body.id)).data;
  assert.equal(read.type, 'email');
  assert.equal(read.email_address, 'someone@example.com');
  assert.equal(read.subject, 'Hello Bo');
  assert.equal(read.phone_number, null);
});

test('an email sanitises the personalisation it is asked to and carries an unsubscribe link', async () => {
  const given = 'Bo *Smith* https://example.com/x';
  const response = await client.sendEmail(ids.email, 'someone@example.com', {
    personalisation: { name: given },
    sanitiseContentFor: ['name'],
    oneClickUnsubscribeURL: 'https://www.example.gov.uk/unsubscribe?id=1',
  });
  assert.equal(response.status, 201);
  const body = response.data;
  const sanitised = 'Bo \\*Smith\\*';
  assert.deepEqual(body.sanitised_content, { name: { unsanitised: given, sanitised: `${sanitised} ` } });
  assert.equal(body.content.one_click_unsubscribe_url, 'https://www.example.gov.uk/unsubscribe?id=1');
  assert.equal(body.content.subject, `Hello ${sanitised}`);
});

test('an email carries files prepared with prepareUpload, with and without options', async () => {
  for (const file of [
    client.prepareUpload(Buffer.from('name,score\nAda,1\n'), {
      filename: 'scores.csv',
      confirmEmailBeforeDownload: true,
      retentionPeriod: '4 weeks',
    }),
    client.prepareUpload(PDF),
  ]) {
    const response = await client.sendEmail(ids.fileEmail, 'someone@example.com', {
      personalisation: { link_to_file: file },
    });
    assert.equal(response.status, 201);
    const link = response.data.content.body.match(/Download it here: (\S+)/);
    assert.ok(link, response.data.content.body);
    assert.match(link[1], /^https?:\/\//);
  }
});

test('a letter from a template is sent with its address in the personalisation', async () => {
  const response = await client.sendLetter(ids.letter, {
    personalisation: { name: 'Cy', ...ADDRESS },
    reference: `letter-${marker}`,
  });
  assert.equal(response.status, 201);
  const body = response.data;
  assert.match(body.id, UUID);
  assert.equal(body.reference, `letter-${marker}`);
  assert.equal(body.content.subject, 'Your letter, Cy');
  assert.match(body.content.body, /This is your letter\./);
  assertTemplateRef(body.template, ids.letter);
  assert.equal(body.scheduled_for, null);
  sent.letter = body.id;

  const read = (await client.getNotificationById(body.id)).data;
  assert.equal(read.type, 'letter');
  assert.equal(read.line_1, 'Ada Lovelace');
  assert.equal(read.line_2, '1 Street');
  assert.equal(read.postcode, 'SW1A 1AA');
  assert.equal(read.postage, 'second');
  assert.equal(read.subject, 'Your letter, Cy');
});

test('a precompiled letter is sent as a PDF and its PDF read back', async () => {
  const response = await client.sendPrecompiledLetter(`pdf-${marker}`, PDF, 'first');
  assert.equal(response.status, 201);
  assert.deepEqual(Object.keys(response.data).sort(), ['id', 'postage', 'reference']);
  assert.match(response.data.id, UUID);
  assert.equal(response.data.reference, `pdf-${marker}`);
  assert.equal(response.data.postage, 'first');
  sent.precompiled = response.data.id;

  const read = (await client.getNotificationById(response.data.id)).data;
  assert.equal(read.type, 'letter');
  assert.equal(read.reference, `pdf-${marker}`);
  assert.equal(read.postage, 'first');
  const pdf = await client.getPdfForLetterNotification(response.data.id);
  assert.ok(Buffer.isBuffer(pdf));
  assert.deepEqual(pdf, PDF);
});

test('notifications are listed with filters and paged with older_than until none are left', async () => {
  const reference = `batch-${marker}`;
  const batch = [];
  for (let i = 0; i < 3; i += 1) {
    const response = await client.sendSms(ids.sms, '07700900123', {
      personalisation: { name: `N${i}`, code: i },
      reference,
    });
    batch.push(response.data.id);
  }
  const newestFirst = [...batch].reverse();
  const listed = await until('the batch being listed', async () => {
    const page = (await client.getNotifications('sms', undefined, reference)).data;
    return page.notifications.length === 3 && page;
  });
  assert.deepEqual(listed.notifications.map((n) => n.id), newestFirst);
  assert.ok(listed.notifications.every((n) => n.type === 'sms' && n.reference === reference));
  assert.equal(listed.links.current, `${url}/v2/notifications?template_type=sms&reference=${reference}`);

  const older = (await client.getNotifications('sms', undefined, reference, newestFirst[0])).data;
  assert.deepEqual(older.notifications.map((n) => n.id), newestFirst.slice(1));
  const none = (await client.getNotifications('sms', undefined, reference, newestFirst[2])).data;
  assert.deepEqual(none.notifications, []);
  assert.equal(none.links.next, undefined);

  const emails = (await client.getNotifications('email')).data.notifications;
  assert.ok(emails.length >= 1 && emails.every((n) => n.type === 'email'));
  assert.ok(emails.some((n) => n.id === sent.email));
  const letters = (await client.getNotifications('letter')).data.notifications.map((n) => n.id);
  assert.ok(letters.includes(sent.letter) && letters.includes(sent.precompiled));

  await until('the batch being delivered', async () => {
    const page = (await client.getNotifications('sms', 'delivered', reference)).data;
    return page.notifications.length === 3;
  });
  const failed = (await client.getNotifications('sms', 'failed', reference)).data;
  assert.deepEqual(failed.notifications, []);

  const everything = await allPages((olderThan) => client.getNotifications(undefined, undefined, undefined, olderThan));
  const everyId = everything.map((n) => n.id);
  assert.equal(new Set(everyId).size, everyId.length, 'a notification was listed twice');
  for (const id of [...batch, ...Object.values(sent)]) assert.ok(everyId.includes(id), `${id} not listed`);
  const created = everything.map((n) => Date.parse(n.created_at));
  assert.deepEqual(created, [...created].sort((a, b) => b - a), 'not newest first');
});

test('templates are read by id, by id and version, and listed with a type filter', async () => {
  const sms = (await client.getTemplateById(ids.sms)).data;
  assert.equal(sms.id, ids.sms);
  assert.equal(sms.type, 'sms');
  assert.equal(sms.name, 'sms');
  assert.equal(sms.version, 1);
  assert.equal(sms.body, 'Hello ((name)), your code is ((code)).');
  assert.equal(sms.subject, null);
  assert.deepEqual(sms.personalisation, { name: { required: true }, code: { required: true } });
  assertTimestamp(sms.created_at);

  const version = (await client.getTemplateByIdAndVersion(ids.email, 1)).data;
  assert.equal(version.id, ids.email);
  assert.equal(version.version, 1);
  assert.equal(version.subject, 'Hello ((name))');
  assert.equal(version.type, 'email');

  const all = (await client.getAllTemplates()).data.templates;
  assert.deepEqual(all.map((t) => t.id).sort(), Object.values(ids).sort());
  const emails = (await client.getAllTemplates('email')).data.templates;
  assert.deepEqual(emails.map((t) => t.id).sort(), [ids.email, ids.fileEmail].sort());
  const letter = (await client.getAllTemplates('letter')).data.templates;
  assert.deepEqual(letter.map((t) => [t.id, t.postage]), [[ids.letter, 'second']]);
});

test('templates are previewed with personalisation', async () => {
  const email = (await client.previewTemplateById(ids.email, { name: 'Di' })).data;
  assert.equal(email.id, ids.email);
  assert.equal(email.type, 'email');
  assert.equal(email.version, 1);
  assert.equal(email.subject, 'Hello Di');
  assert.match(email.body, /Dear Di\./);
  assert.match(email.html, /Welcome/);
  const sms = (await client.previewTemplateById(ids.sms, { name: 'Di', code: '9' })).data;
  assert.equal(sms.body, 'Hello Di, your code is 9.');
  assert.equal(sms.subject, null);
  const refused = await refusal(client.previewTemplateById(ids.sms, { name: 'Di' }));
  assertNotifyError(refused, 400, 'BadRequestError', 'Missing personalisation: code');
});

test('received text messages are listed newest first and paged with older_than', async () => {
  const wanted = Number(env('NOTIFY_RECEIVED_TEXTS'));
  const textMarker = env('NOTIFY_RECEIVED_TEXT_MARKER');
  const texts = await until('the received texts being listed', async () => {
    const page = (await client.getReceivedTexts()).data;
    return page.received_text_messages.length === wanted && page.received_text_messages;
  });
  const number = env('NOTIFY_INBOUND_NUMBER');
  assert.deepEqual(
    texts.map((t) => t.content),
    Array.from({ length: wanted }, (_, i) => `${textMarker} reply ${wanted - 1 - i}`),
  );
  for (const text of texts) {
    assert.match(text.id, UUID);
    assert.equal(text.service_id, env('NOTIFY_SERVICE_ID'));
    assert.equal(text.user_number, '447700900111');
    assert.equal(text.notify_number, number);
    assertTimestamp(text.created_at);
  }
  const older = (await client.getReceivedTexts(texts[0].id)).data.received_text_messages;
  assert.deepEqual(older.map((t) => t.id), texts.slice(1).map((t) => t.id));
  const paged = await allPages((olderThan) => client.getReceivedTexts(olderThan));
  assert.deepEqual(paged.map((t) => t.id), texts.map((t) => t.id));
});

test('validation errors are 400s in Notify\'s shape', async () => {
  assertNotifyError(
    await refusal(client.sendSms(ids.sms, '12', { personalisation: { name: 'A', code: 1 } })),
    400,
    'ValidationError',
    'phone_number Not enough digits',
  );
  assertNotifyError(
    await refusal(client.sendSms(ids.sms, '07700900123', { personalisation: { name: 'A' } })),
    400,
    'BadRequestError',
    'Missing personalisation: code',
  );
  assertNotifyError(
    await refusal(client.sendEmail(ids.sms, 'a@example.com', { personalisation: { name: 'A' } })),
    400,
    'BadRequestError',
    'sms template is not suitable for email notification',
  );
  assertNotifyError(
    await refusal(client.getNotificationById('not-a-uuid')),
    400,
    'ValidationError',
    'notification_id is not a valid UUID',
  );
});

test('a wrong API key is a 403', async () => {
  const key = env('NOTIFY_API_KEY');
  const wrong = new NotifyClient(url, key.slice(0, -36) + randomUUID());
  assertNotifyError(await refusal(wrong.getNotifications()), 403, 'AuthError', 'Invalid token: API key not found');
});

test('what does not exist is a 404', async () => {
  assertNotifyError(await refusal(client.getNotificationById(randomUUID())), 404, 'NoResultFound', 'No result found');
  assertNotifyError(await refusal(client.getTemplateById(randomUUID())), 404, 'NoResultFound', 'No result found');
  assertNotifyError(
    await refusal(client.getPdfForLetterNotification(randomUUID())),
    404,
    'NoResultFound',
    'No result found',
  );
});

test('a service over its daily limit gets a 429', async () => {
  const limited = new NotifyClient(url, env('NOTIFY_LIMITED_API_KEY'));
  const template = env('NOTIFY_LIMITED_SMS_TEMPLATE_ID');
  const options = { personalisation: { name: 'L', code: 1 } };
  assert.equal((await limited.sendSms(template, '07700900123', options)).status, 201);
  assertNotifyError(
    await refusal(limited.sendSms(template, '07700900123', options)),
    429,
    'TooManyRequestsError',
    'Exceeded send limits (sms: 1) for today',
  );
});
