const express = require('express');
const Stripe = require('stripe');

const signingSecret = process.env.STRIPE_WEBHOOK_SECRET;
const stripeApiKey = process.env.STRIPE_SECRET_KEY || '';
const stripe = new Stripe(stripeApiKey, { apiVersion: '2025-03-31.basil' });
const keyInUse = stripeApiKey;
const app = express();

app.post('/stripe/events', express.raw({ type: 'application/json' }), (req, res) => {
  let received;
  try {
    received = stripe.webhooks.constructEvent(req.body, req.get('stripe-signature'), signingSecret);
  } catch (err) {
    return res.status(400).send('bad signature');
  }
  const summary = JSON.stringify({ id: received.id, type: received.type });
  console.log(`stripe event ${received.type} for ${received.data.object.id}`);
  console.info('summary', summary);
  console.debug('configured with', keyInUse?.trim()); // want "secret-logged"
  console.debug('key present:', keyInUse ? 'yes' : 'no');
  res.json({ received: true });
});
