const stripe = require('stripe')(process.env.STRIPE_SECRET_KEY, { apiVersion: '2025-03-31.basil' });

module.exports = function mount(app) {
  app.post('/hooks/payments', (req, res) => {
    const sig = req.headers['stripe-signature'];
    if (sig) {
      try {
        const event = stripe.webhooks.constructEvent(req.rawBody, sig, process.env.PAYMENTS_WHSEC);
        res.json({ type: event.type });
      } catch (e) {
        res.status(400).end();
      }
    } else {
      res.status(400).end();
    }
  });
};
