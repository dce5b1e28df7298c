package server

// TLS, with Redis's parameters: tls-port listens for TLS connections (on
// every bind address, next to port), with the certificate and key of
// tls-cert-file / tls-key-file; clients must show a certificate signed by
// a CA of tls-ca-cert-file / tls-ca-cert-dir under tls-auth-clients yes
// (the default), may under optional, need not under no; tls-protocols
// bounds the versions ("TLSv1.2 TLSv1.3" by default); tls-session-caching
// no turns resumption off. tls-replication yes makes a replica connect to
// its primary over TLS, with tls-client-cert-file / tls-client-key-file (or
// the server's pair) and the same CAs. A CONFIG SET of any of them checks
// the files and applies to the next connections, as Redis's does; what does
// not load is refused with Redis's words, "Unable to update TLS
// configuration. Check server logs.", and the reason goes to the log.
//
// A TLS connection's handshake runs on a goroutine of its own; then the
// event loops serve it as they serve the others, reading the socket
// themselves and decrypting what they read through a tls.Conn over memory
// (tls_pipe.go, netloop_tls_linux.go). Without event loops (other
// platforms, Options.Goroutines) its goroutine goes on serving it.
//
// Like Redis (OpenSSL's chain check without a host name), a replica
// verifies that its primary's certificate chains to one of the CAs, not
// the name in it. tls-ciphers, tls-ciphersuites, tls-prefer-server-ciphers
// and tls-dh-params-file are accepted and do not act: Go chooses among its
// own secure suites (and TLS 1.3's are not configurable), and a
// password-protected key (tls-key-file-pass) is refused.

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"fastcache/config"
)

// errTLSConfig is Redis's answer to a TLS setting that does not apply.
const errTLSConfig = "Unable to update TLS configuration. Check server logs."

// tlsParams are the settings whose change rebuilds the configuration.
var tlsParams = []string{"tls-cert-file", "tls-key-file", "tls-key-file-pass", "tls-client-cert-file",
	"tls-client-key-file", "tls-client-key-file-pass", "tls-ca-cert-file", "tls-ca-cert-dir",
	"tls-auth-clients", "tls-protocols", "tls-session-caching", "tls-replication", "tls-cluster", "tls-port"}

// tlsState is the configuration in effect: the listeners' and the
// replica's (nil while TLS is off).
type tlsState struct {
	server atomic.Pointer[tls.Config]
	client atomic.Pointer[tls.Config]
}

// tlsEnabled reports whether the settings ask for TLS (Redis's test:
// tls-cluster too, though there is no cluster bus here).
func tlsEnabled(cfg *config.Config) bool {
	return cfg.ParamInt("tls-port") != 0 || cfg.ParamYes("tls-replication") || cfg.ParamYes("tls-cluster")
}

// buildTLS makes the server's and the replica's configurations from cfg.
func buildTLS(cfg *config.Config) (server, client *tls.Config, err error) {
	if cfg.Param("tls-key-file-pass") != "" || cfg.Param("tls-client-key-file-pass") != "" {
		return nil, nil, errors.New("a password-protected private key (tls-key-file-pass) is not supported: give the key unencrypted")
	}
	certFile, keyFile := cfg.Param("tls-cert-file"), cfg.Param("tls-key-file")
	if certFile == "" || keyFile == "" {
		return nil, nil, errors.New("tls-cert-file and tls-key-file must be set")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("tls-cert-file / tls-key-file: %w", err)
	}
	clientCert := cert
	if cf, kf := cfg.Param("tls-client-cert-file"), cfg.Param("tls-client-key-file"); cf != "" || kf != "" {
		if clientCert, err = tls.LoadX509KeyPair(cf, kf); err != nil {
			return nil, nil, fmt.Errorf("tls-client-cert-file / tls-client-key-file: %w", err)
		}
	}
	cas, err := loadCAs(cfg.Param("tls-ca-cert-file"), cfg.Param("tls-ca-cert-dir"))
	if err != nil {
		return nil, nil, err
	}
	minV, maxV, err := tlsVersions(cfg.Param("tls-protocols"))
	if err != nil {
		return nil, nil, err
	}
	server = &tls.Config{
		Certificates:           []tls.Certificate{cert},
		ClientCAs:              cas,
		MinVersion:             minV,
		MaxVersion:             maxV,
		SessionTicketsDisabled: !cfg.ParamYes("tls-session-caching"),
	}
	switch cfg.Param("tls-auth-clients") {
	case "yes":
		server.ClientAuth = tls.RequireAndVerifyClientCert
	case "optional":
		server.ClientAuth = tls.VerifyClientCertIfGiven
	default:
		server.ClientAuth = tls.NoClientCert
	}
	client = &tls.Config{
		Certificates: []tls.Certificate{clientCert},
		MinVersion:   minV,
		MaxVersion:   maxV,
		// The chain is checked below, the host name is not (as Redis's).
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the primary showed no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: cas, Intermediates: inter})
			return err
		},
	}
	return server, client, nil
}

// loadCAs reads the CA certificates of a file and of the files of a
// directory; at least one must be given (Redis requires them too).
func loadCAs(file, dir string) (*x509.CertPool, error) {
	if file == "" && dir == "" {
		return nil, errors.New("either tls-ca-cert-file or tls-ca-cert-dir must be set")
	}
	pool := x509.NewCertPool()
	var files []string
	if file != "" {
		files = append(files, file)
	}
	if dir != "" {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("tls-ca-cert-dir: %w", err)
		}
		for _, e := range ents {
			if !e.IsDir() {
				files = append(files, filepath.Join(dir, e.Name()))
			}
		}
	}
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("CA certificates: %w", err)
		}
		if pool.AppendCertsFromPEM(b) {
			n++
		} else if f == file {
			return nil, fmt.Errorf("tls-ca-cert-file %s: no PEM certificate in it", f)
		}
	}
	if n == 0 {
		return nil, errors.New("no CA certificate found")
	}
	return pool, nil
}

// tlsVersions is tls-protocols as the versions it allows ("" : TLS 1.2 and
// 1.3, Redis's default).
func tlsVersions(s string) (minV, maxV uint16, err error) {
	if strings.TrimSpace(s) == "" {
		return tls.VersionTLS12, tls.VersionTLS13, nil
	}
	for _, p := range strings.Fields(s) {
		var v uint16
		switch strings.ToLower(p) {
		case "tlsv1":
			v = tls.VersionTLS10
		case "tlsv1.1":
			v = tls.VersionTLS11
		case "tlsv1.2":
			v = tls.VersionTLS12
		case "tlsv1.3":
			v = tls.VersionTLS13
		default:
			return 0, 0, fmt.Errorf("tls-protocols: unknown protocol %q", p)
		}
		if minV == 0 || v < minV {
			minV = v
		}
		maxV = max(maxV, v)
	}
	return minV, maxV, nil
}

// applyTLS builds the configuration from the settings and puts it in
// effect (nil when TLS is off). On failure nothing changes, the reason is
// logged, and Redis's error is returned.
func (s *Server) applyTLS() error {
	if err := s.loadTLS(); err != nil {
		s.log.Warn().Err(err).Msg("TLS configuration not applied")
		return errors.New(errTLSConfig)
	}
	return nil
}

// loadTLS is applyTLS with the reason of a failure (the start's error).
func (s *Server) loadTLS() error {
	if !tlsEnabled(s.cfg) {
		s.tls.server.Store(nil)
		s.tls.client.Store(nil)
		return nil
	}
	srv, cl, err := buildTLS(s.cfg)
	if err != nil {
		return err
	}
	s.tls.server.Store(srv)
	s.tls.client.Store(cl)
	return nil
}

// TLSClientConfig is the configuration of a replica's connection to its
// primary: nil unless tls-replication is yes.
func (s *Server) TLSClientConfig() *tls.Config {
	if !s.cfg.ParamYes("tls-replication") {
		return nil
	}
	return s.tls.client.Load()
}

// tlsListeners opens the TLS listeners on every bind address at port.
func (s *Server) tlsListeners(port int, binds []string) ([]net.Listener, error) {
	lns, err := s.listenTCP(port, binds)
	if err != nil {
		return nil, err
	}
	for i, ln := range lns {
		lns[i] = &tlsListener{Listener: ln, config: &tls.Config{
			// each handshake takes the configuration in effect
			GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
				if c := s.tls.server.Load(); c != nil {
					return c, nil
				}
				return nil, errors.New("TLS is off")
			},
		}}
	}
	return lns, nil
}

// rawNetConn is the socket under a TLS connection (nc itself otherwise):
// nil once an event loop serves it (the pipe has let the socket go).
func rawNetConn(nc net.Conn) net.Conn {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
		if p, ok := nc.(*tlsPipe); ok {
			return p.nc
		}
	}
	return nc
}
