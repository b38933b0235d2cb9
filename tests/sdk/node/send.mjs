// What an application using @sentry/node reports, for tests/sdk/test_node.py: an exception
// (with a user, a tag, a release and an environment) and a message, sent to the DSN given as
// the first argument. Prints the two event ids as JSON; exits 1 when they could not be sent.
import * as Sentry from "@sentry/node";

const dsn = process.argv[2];
if (!dsn) {
  console.error("usage: node send.mjs DSN");
  process.exit(2);
}

Sentry.init({
  dsn,
  release: "shop@3.1.4",
  environment: "production",
  // Only the events: no performance data, no client reports.
  tracesSampleRate: 0,
  sendClientReports: false,
});

class CheckoutFailed extends Error {
  constructor(message) {
    super(message);
    this.name = "CheckoutFailed";
  }
}

Sentry.setUser({ id: "7", email: "ada@example.com" });
Sentry.setTag("checkout.step", "payment");

let exception;
try {
  throw new CheckoutFailed("card declined");
} catch (error) {
  exception = Sentry.captureException(error);
}
const message = Sentry.captureMessage("Stock is running low", "warning");

if (!(await Sentry.flush(10000))) {
  console.error("@sentry/node could not send the events within 10 s");
  process.exit(1);
}
console.log(JSON.stringify({ exception, message }));
