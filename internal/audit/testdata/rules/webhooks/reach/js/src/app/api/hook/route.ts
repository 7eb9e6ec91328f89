import { readEvent } from '@/lib/stripe';

export async function POST(req: Request) {
  const raw = await req.text();
  let event;
  try {
    event = readEvent(raw, req.headers.get('stripe-signature') ?? '');
  } catch (err) {
    return new Response('bad signature', { status: 400 });
  }
  if (event.type === 'checkout.session.completed') {
    return Response.json({ ok: true });
  }
  return Response.json({ ignored: event.type });
}
