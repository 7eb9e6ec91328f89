const Stripe = require('stripe');

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY, { apiVersion: '2025-03-31.basil' });

async function koaHook(ctx) {
  let event;
  try {
    event = stripe.webhooks.constructEvent(ctx.request.rawBody, ctx.get('stripe-signature'), process.env.STRIPE_WEBHOOK_SECRET);
  } catch (err) {
    ctx.status = 400;
    ctx.body = { error: 'bad signature' };
    return;
  }
  ctx.body = { received: event.id };
}

async function nextHook(req) {
  const body = await req.text();
  try {
    const event = stripe.webhooks.constructEvent(body, req.headers.get('stripe-signature'), process.env.STRIPE_WEBHOOK_SECRET);
    return Response.json({ type: event.type });
  } catch (err) {
    return new Response(`Webhook Error: ${err.message}`, { status: 400 });
  }
}

function lambdaHook(event) {
  try {
    stripe.webhooks.constructEvent(event.body, event.headers['stripe-signature'], process.env.STRIPE_WEBHOOK_SECRET);
  } catch (err) { // want "webhook-error-ignored"
    return { statusCode: 200, body: 'ok' };
  }
  return { statusCode: 200, body: 'done' };
}

module.exports = { koaHook, nextHook, lambdaHook };
