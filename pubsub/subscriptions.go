package pubsub

// Subscriptions calls fn with each channel, pattern and shard channel s is
// subscribed to, until fn returns false. It walks every subscription of the
// server: for rare administrative checks (ACL SETUSER revoking channels).
func (r *Registry) Subscriptions(s Subscriber, fn func(k Kind, name []byte) bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, k := range []Kind{Channel, Pattern, Shard} {
		m, _ := r.table(k)
		for _, g := range m {
			if _, ok := g.idx[s]; ok && !fn(k, g.name) {
				return
			}
		}
	}
}
