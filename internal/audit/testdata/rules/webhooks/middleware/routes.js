const express = require('express');
const { verifyStripe } = require('./verify');

const router = express.Router();

router.post('/stripe', express.raw({ type: 'application/json' }), verifyStripe, (req, res) => {
  const event = req.body;
  if (event.type === 'invoice.paid') {
    res.json({ paid: true });
    return;
  }
  res.json({ received: true });
});

module.exports = router;
