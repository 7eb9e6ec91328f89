const stripe = require('stripe')(process.env.STRIPE_SECRET_KEY, { apiVersion: '2025-03-31.basil' });

app.post('/webhook', (req, res) => {
  const event = JSON.parse(req.body);
  if (event.type === 'invoice.paid') markPaid(event.data.object);
  res.sendStatus(200);
});
