const stripe = require('stripe')(process.env.STRIPE_SECRET_KEY, { apiVersion: '2025-03-31.basil' });

function verifyStripe(req, res, next) {
  try {
    req.body = stripe.webhooks.constructEvent(req.body, req.headers['stripe-signature'], process.env.STRIPE_WEBHOOK_SECRET);
    next();
  } catch (err) {
    res.status(400).send('invalid signature');
  }
}

module.exports = { verifyStripe };
