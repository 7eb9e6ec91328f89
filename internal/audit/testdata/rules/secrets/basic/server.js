const stripe = require('stripe')('sk_live_FAKEa7Bc3De9Fg1Hi5Jk2Lm8No4P'); // want "apiversion-unpinned" "secret-in-code"
const Stripe = require('stripe');
const client = new Stripe('rk_test_FAKEk2Lm8No4Pa7Bc3De9Fg1Hi5J'); // want "apiversion-unpinned" "secret-in-code"
const key = process.env.STRIPE_SECRET_KEY || 'sk_test_FAKEh5Jk2Lm8No4Pa7Bc3De9Fg1'; // want "secret-fallback"

console.log(process.env.STRIPE_SECRET_KEY); // want "secret-logged"
console.log(key.slice(0, 12)); // want "secret-logged"
console.log(key.slice(0, 7));
console.log(`key: ${process.env.STRIPE_SECRET_KEY}`); // want "secret-logged"
console.log("key set:", process.env.STRIPE_SECRET_KEY ? "yes" : "no");

app.get('/debug', (req, res) => {
  res.json({ key: process.env.STRIPE_SECRET_KEY }); // want "secret-logged"
});
// A comment with a key: sk_test_FAKEc3De9Fg1Hi5Jk2Lm8No4Pa7B  want "secret-test-key"
