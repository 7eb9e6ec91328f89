'use strict';

const stripe = require('stripe')(process.env.STRIPE_API_KEY, { apiVersion: '2025-03-31.basil' });

exports.webhook = (event, context, callback) => {
  let stripeEvent;
  try {
    stripeEvent = stripe.webhooks.constructEvent(event.body, event.headers['Stripe-Signature'], process.env.STRIPE_SIGNING_SECRET);
  } catch (failure) {
    console.error('signature check failed', failure.message);
    callback(failure);
  }
  if (stripeEvent && stripeEvent.type === 'customer.subscription.updated') {
    console.log('subscription changed');
  }
  callback(null, { statusCode: 200, body: '{"received":true}' });
};

exports.promiseStyle = (body, signature) => new Promise((resolve, reject) => {
  try {
    resolve(stripe.webhooks.constructEvent(body, signature, process.env.STRIPE_SIGNING_SECRET));
  } catch (oops) {
    console.warn('bad webhook');
    reject(oops);
  }
});
