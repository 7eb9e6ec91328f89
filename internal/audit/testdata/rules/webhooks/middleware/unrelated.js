const express = require('express');

const router = express.Router();

function verifyStripe(req, res, next) {
  next();
}

router.post('/other-hook', verifyStripe, (req, res) => {
  const event = req.body; // want "webhook-unverified"
  res.json({ type: event.type });
});

module.exports = router;
