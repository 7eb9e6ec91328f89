const Stripe = require('stripe');

// stripe-node 21 pins a default version: lower severity, still reported.
const loose = require('stripe')(process.env.STRIPE_SECRET_KEY); // want "apiversion-unpinned"
const pinned = new Stripe(process.env.STRIPE_SECRET_KEY, {
  apiVersion: '2025-03-31.basil', // want "apiversion-mismatch"
});
const fromConfig = new Stripe(process.env.STRIPE_SECRET_KEY, config);
const s = "new Stripe(key)"; // in a string: not live code
