const stripe = require('stripe')(process.env.STRIPE_SECRET_KEY, { apiVersion: '2025-03-31.basil', maxNetworkRetries: 0 }); // want "error-retries-disabled"

async function charge(req, res) {
  try {
    const pi = await stripe.paymentIntents.create({ amount: 100, currency: 'usd' });
    res.json(pi);
  } catch (err) { // want "error-leaked"
    res.status(500).json(err);
  }
}

async function quiet(id) {
  try {
    await stripe.refunds.create({ payment_intent: id });
  } catch (e) { // want "error-swallowed"
    console.error(e);
  }
}

async function good(req, res) {
  console.log('body', req.body); // want "error-leaked"
  try {
    await stripe.customers.update(req.params.id, { email: req.body.email });
  } catch (err) {
    res.status(402).json({ error: err.type === 'StripeCardError' ? err.message : 'payment failed' });
  }
}
