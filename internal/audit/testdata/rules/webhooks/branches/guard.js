const express = require('express');
const Stripe = require('stripe');

const stripe = Stripe(process.env.STRIPE_KEY, { apiVersion: '2025-03-31.basil' });
const router = express.Router();

router.post('/stripe/webhook', express.raw({ type: 'application/json' }), (req, res) => {
  const webhookSecret = process.env.STRIPE_WEBHOOK_SECRET;
  if (!webhookSecret) {
    return res.status(500).send('webhook secret is not configured');
  }
  let event;
  try {
    event = stripe.webhooks.constructEvent(req.body, req.headers['stripe-signature'], webhookSecret);
  } catch (err) {
    return res.status(400).send(`Webhook Error: ${err.message}`);
  }
  if (event.type === 'invoice.paid') {
    const lines = JSON.parse(event.data.object.metadata.lines || '[]');
    console.log('paid lines', lines.length);
  }
  res.json({ received: true });
});

module.exports = router;
