import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { countTemplates, templateOf } from '../../../backend/src/domain/logs/templates.ts';

/** Realistic error lines and the template each must reduce to. */
const TABLE: { name: string; line: string; template: string }[] = [
  {
    name: 'a Java exception with a quoted value',
    line: 'java.lang.IllegalStateException: Order "A-77812" is already shipped',
    template: 'java.lang.IllegalStateException: Order <str> is already shipped',
  },
  {
    name: 'a Java stack trace keeps its first frame without line numbers',
    line: [
      'java.lang.NullPointerException: Cannot invoke "String.length()" because "name" is null',
      '\tat com.shop.cart.CartService.addItem(CartService.java:142)',
      '\tat com.shop.cart.CartController.post(CartController.java:57)',
    ].join('\n'),
    template:
      'java.lang.NullPointerException: Cannot invoke <str> because <str> is null ' +
      'at com.shop.cart.CartService.addItem(CartService.java:<num>)',
  },
  {
    name: 'a Java SQL timeout with a duration',
    line: 'java.sql.SQLTimeoutException: Statement cancelled after 30000ms on connection 0x7f3a9c2e',
    template: 'java.sql.SQLTimeoutException: Statement cancelled after <dur> on connection <hex>',
  },
  {
    name: 'a Spring log line with its timestamp and thread',
    line: '2024-03-30 23:03:40.512 ERROR 1 --- [nio-8080-exec-7] c.s.c.CartController : Request failed for user 48213',
    template: '<ts> ERROR <num> --- [nio-<num>-exec-<num>] c.s.c.CartController : Request failed for user <num>',
  },
  {
    name: 'a Node TypeError with its first frame',
    line: [
      "TypeError: Cannot read properties of undefined (reading 'price')",
      '    at computeTotal (/app/src/cart/total.js:18:27)',
      '    at Layer.handle (/app/node_modules/express/lib/router/layer.js:95:5)',
    ].join('\n'),
    template:
      'TypeError: Cannot read properties of undefined (reading <str>) ' +
      'at computeTotal (/app/src/cart/total.js:<num>:<num>)',
  },
  {
    name: 'a Node connection refusal with an address',
    line: 'Error: connect ECONNREFUSED 10.42.7.19:5432',
    template: 'Error: connect ECONNREFUSED <ip>',
  },
  {
    name: 'a pino JSON line reduced to its message and error',
    line: JSON.stringify({
      level: 50,
      time: 1711839820123,
      pid: 17,
      hostname: 'checkout-7c9f5d-x2k4p',
      reqId: 'req-8f3a2b1c',
      msg: 'payment failed',
      err: {
        type: 'Error',
        message: 'card 4242 declined by issuer',
        stack: 'Error: card 4242 declined\n    at charge (/app/pay.js:88:11)',
      },
    }),
    template: 'payment failed: Error: card <num> declined by issuer at charge (/app/pay.js:<num>:<num>)',
  },
  {
    name: 'a JSON line with a plain error string',
    line:
      '{"level":"error","ts":"2024-03-30T23:03:41.002Z","msg":"upstream call failed",' +
      '"error":"context deadline exceeded after 5.000123s","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}',
    template: 'upstream call failed: context deadline exceeded after <dur>',
  },
  {
    name: 'a logfmt line reduced to its message and error',
    line:
      'ts=2024-03-30T23:03:40.01Z caller=db.go:112 level=error msg="query failed" ' +
      'err="pq: deadlock detected" duration=1.2s',
    template: 'query failed: pq: deadlock detected',
  },
  {
    name: 'a Postgres unique violation keeps its SQLSTATE',
    line: 'ERROR: duplicate key value violates unique constraint "users_email_key" (SQLSTATE 23505)',
    template: 'ERROR: duplicate key value violates unique constraint <str> (SQLSTATE 23505)',
  },
  {
    name: 'a Postgres missing relation',
    line: 'ERROR: relation "order_items_v2" does not exist at character 15',
    template: 'ERROR: relation <str> does not exist at character <num>',
  },
  {
    name: 'a MySQL duplicate entry',
    line: "Error 1062 (23000): Duplicate entry 'alice@example.com' for key 'users.email'",
    template: 'Error <num> (<num>): Duplicate entry <str> for key <str>',
  },
  {
    name: 'an Oracle error keeps its code',
    line: 'ORA-00942: table or view does not exist',
    template: 'ORA-00942: table or view does not exist',
  },
  {
    name: 'a Go timeout with a compound duration',
    line:
      'Get "http://inventory:8080/items/991": context deadline exceeded ' +
      '(Client.Timeout exceeded while awaiting headers) after 2m30.5s',
    template: 'Get <str>: context deadline exceeded (Client.Timeout exceeded while awaiting headers) after <dur>',
  },
  {
    name: 'a timeout written in words',
    line: 'Timed out after 30 seconds waiting for lock on account 7781',
    template: 'Timed out after <dur> waiting for lock on account <num>',
  },
  {
    name: 'a request id in key=value form',
    line: 'request_id=01HF3K2M9VQX7 failed: upstream returned status 503',
    template: 'request_id=<id> failed: upstream returned status 503',
  },
  {
    name: 'an HTTP status keeps its code',
    line: 'HTTP 502 from payments-gateway after 1200 ms',
    template: 'HTTP 502 from payments-gateway after <dur>',
  },
  {
    name: 'a uuid in a path',
    line: 'order /orders/3f2b8c1e-9d4a-4f6b-8e2a-1c5d7e9f0a3b/items not found',
    template: 'order /orders/<uuid>/items not found',
  },
  {
    name: 'an IPv6 address with a port',
    line: 'dial tcp [2001:db8:85a3::8a2e:370:7334]:443: i/o timeout',
    template: 'dial tcp <ip>: i/o timeout',
  },
  {
    name: 'an e-mail address',
    line: 'could not send receipt to bob.smith+orders@example.co.uk: mailbox full',
    template: 'could not send receipt to <email>: mailbox full',
  },
  {
    name: 'an nginx access-log timestamp and client address',
    line: '192.168.14.2 - - [30/Mar/2024:23:03:40 +0000] "POST /api/cart HTTP/1.1" 500 312',
    template: '<ip> - - [<ts>] <str> <num> <num>',
  },
  {
    name: 'a mixed letters-and-digits id',
    line: 'session a1b2c3d4e5f6 expired while checking out',
    template: 'session <id> expired while checking out',
  },
  {
    name: 'names with a digit or two stay as they are',
    line: 'Base64Decoder rejected input: illegal character in sha256 digest',
    template: 'Base64Decoder rejected input: illegal character in sha256 digest',
  },
  {
    name: 'a Python traceback summary line',
    line: "KeyError: 'customer_id' in handler checkout.views.submit at line 214",
    template: 'KeyError: <str> in handler checkout.views.submit at line <num>',
  },
  {
    name: 'a gRPC status keeps its code',
    line:
      'rpc error: code = Unavailable desc = connection error: ' +
      'desc = "transport: Error while dialing dial tcp 10.0.3.7:9090: connect: connection refused"',
    template: 'rpc error: code = Unavailable desc = connection error: desc = <str>',
  },
  {
    name: 'a Redis timeout with a duration',
    line: 'ReplyError: BUSY Redis is busy running a script after 5012ms; key cart:u:88123',
    template: 'ReplyError: BUSY Redis is busy running a script after <dur>; key cart:u:<num>',
  },
  {
    name: 'a Kafka error with partition and offset numbers',
    line: 'KafkaJSProtocolError: Offset out of range for topic orders partition 3 offset 1887263',
    template: 'KafkaJSProtocolError: Offset out of range for topic orders partition <num> offset <num>',
  },
  {
    name: 'an out-of-memory error with a byte count',
    line: 'java.lang.OutOfMemoryError: Java heap space (requested 268435456 bytes)',
    template: 'java.lang.OutOfMemoryError: Java heap space (requested <num> bytes)',
  },
  {
    name: 'a hex trace id alone',
    line: 'span 00f067aa0ba902b7 of trace 4bf92f3577b34da6a3ce929d0e0e4736 dropped: exporter queue full',
    template: 'span <id> of trace <id> dropped: exporter queue full',
  },
  {
    name: 'an errno keeps its number',
    line: 'open /var/lib/app/cache/44.bin: errno 28 no space left on device',
    template: 'open /var/lib/app/cache/<num>.bin: errno 28 no space left on device',
  },
  {
    name: 'a negative amount and a decimal',
    line: 'invalid refund amount -12.50 for order 99812',
    template: 'invalid refund amount -<num> for order <num>',
  },
  {
    name: 'a Go panic with a goroutine number',
    line: 'panic: runtime error: index out of range [5] with length 3\n\ngoroutine 42 [running]:',
    template: 'panic: runtime error: index out of range [<num>] with length <num>',
  },
];

describe('error line templates', () => {
  for (const row of TABLE) {
    test(`templates ${row.name}`, () => {
      assert.equal(templateOf(row.line), row.template);
    });
  }

  test('the table holds at least thirty realistic lines', () => {
    assert.ok(TABLE.length >= 30, `only ${TABLE.length} lines`);
  });
});

describe('lines that differ only in values share a template', () => {
  const pairs: [string, string][] = [
    ['Timeout after 532ms calling inventory', 'Timeout after 1.2s calling inventory'],
    ['user 42 not found', 'user 918273 not found'],
    ['Error: connect ECONNREFUSED 10.0.0.5:5432', 'Error: connect ECONNREFUSED 10.0.0.9:5433'],
    [
      '{"level":"error","msg":"charge failed","reqId":"r-1","time":1}',
      '{"level":"error","msg":"charge failed","reqId":"r-2","time":2}',
    ],
    [
      'java.lang.IllegalArgumentException: id "a-1" is malformed\n\tat com.x.Ids.parse(Ids.java:10)',
      'java.lang.IllegalArgumentException: id "b-22" is malformed\n\tat com.x.Ids.parse(Ids.java:10)',
    ],
  ];
  for (const [a, b] of pairs) {
    test(`"${a.split('\n')[0]}" and "${b.split('\n')[0]}" are one template`, () => {
      assert.equal(templateOf(a), templateOf(b));
    });
  }
});

describe('different errors stay apart', () => {
  const pairs: [string, string][] = [
    ['java.net.SocketTimeoutException: Read timed out', 'java.sql.SQLTimeoutException: Read timed out'],
    ['java.lang.NullPointerException: x is null', 'java.lang.IllegalStateException: x is null'],
    [
      'ERROR: duplicate key value violates unique constraint "orders_pkey" (SQLSTATE 23505)',
      'ERROR: could not serialize access due to concurrent update (SQLSTATE 40001)',
    ],
    ['ERROR: deadlock detected (SQLSTATE 40P01)', 'ERROR: deadlock detected (SQLSTATE 40001)'],
    ['ORA-00942: table or view does not exist', 'ORA-01017: table or view does not exist'],
    ['upstream returned status 503', 'upstream returned status 404'],
    ["TypeError: Cannot read properties of undefined (reading 'id')", 'RangeError: Maximum call stack size exceeded'],
    [
      'java.lang.NullPointerException\n\tat com.shop.A.run(A.java:1)',
      'java.lang.NullPointerException\n\tat com.shop.B.run(B.java:1)',
    ],
    ['errno 28 no space left on device', 'errno 13 no space left on device'],
  ];
  for (const [a, b] of pairs) {
    test(`"${a.split('\n')[0]}" and "${b.split('\n')[0]}" are two templates`, () => {
      assert.notEqual(templateOf(a), templateOf(b));
    });
  }
});

describe('counting templates', () => {
  test('counts each template and keeps its first line as the example', () => {
    const counted = countTemplates([
      'timeout after 10ms talking to db',
      'user 7 not found',
      'timeout after 250ms talking to db',
      'timeout after 3s talking to db',
    ]);
    assert.deepEqual(counted, [
      { template: 'timeout after <dur> talking to db', count: 3, example: 'timeout after 10ms talking to db' },
      { template: 'user <num> not found', count: 1, example: 'user 7 not found' },
    ]);
  });

  test('never throws on odd input and keeps templates short', () => {
    const odd = ['', '{', '{"msg": 5}', 'x'.repeat(10_000), '\u0000\uE000"unterminated', '{"err":{"stack":7}}'];
    for (const line of odd) {
      const template = templateOf(line);
      assert.equal(typeof template, 'string');
      assert.ok(template.length <= 240);
    }
  });
});
