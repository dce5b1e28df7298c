package server

// Temporary until the blocking machinery (lists18) is merged.

func (c *Client) streamReady(key []byte) {}

func (c *Client) xreadBlock(q *xreadReq) { c.reply.NullArray() }
