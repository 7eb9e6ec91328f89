const express = require('express');
const stripe = require('stripe')(process.env.STRIPE_SECRET_KEY, { apiVersion: '2025-03-31.basil' });

const app = express();
app.use(express.json()); // want "webhook-raw-body-lost"

const endpointSecret = process.env.STRIPE_WEBHOOK_SECRET;

app.post('/webhook', (request, response) => {
  let event = request.body;
  if (endpointSecret) { // want "webhook-fail-open"
    const signature = request.headers['stripe-signature'];
    try {
      event = stripe.webhooks.constructEvent(request.body, signature, endpointSecret, 0); // want "webhook-tolerance-disabled"
    } catch (err) { // want "webhook-error-ignored"
      console.log(`Webhook signature verification failed.`, err.message);
    }
  }
  if (event.type === 'payment_intent.succeeded') {
    fulfil(event.data.object);
  }
  response.json({ received: true });
});
