const router = require('express').Router();

router.post('/hooks/stripe', (req, res) => {
  const event = JSON.parse(req.body); // want "webhook-unverified"
  switch (event.type) {
    case 'invoice.paid':
      markPaid(event.data.object);
  }
  res.sendStatus(200);
});

// const event = JSON.parse(req.body) in a comment is not code
const doc = "JSON.parse(req.body)";
