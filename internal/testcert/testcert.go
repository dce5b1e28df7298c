// Package testcert makes a certificate authority and certificates signed
// by it, as PEM files, for the TLS tests (of the server package and of the
// binary).
package testcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Files are a test CA and certificates signed by it, as PEM files in Dir.
type Files struct {
	Dir                                              string
	CA, ServerCert, ServerKey, ClientCert, ClientKey string
	Pool                                             *x509.CertPool  // the CA
	Client                                           tls.Certificate // the client's pair
}

// Write writes a CA, a server certificate for 127.0.0.1 and localhost,
// and a client certificate, all signed by the CA, into dir.
func Write(dir string) (*Files, error) {
	f := &Files{Dir: dir}
	var err error
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if werr := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); werr != nil && err == nil {
			err = werr
		}
		return p
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fastcache test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	f.CA = write("ca.crt", "CERTIFICATE", caDER)
	f.Pool = x509.NewCertPool()
	f.Pool.AddCert(caCert)
	leaf := func(name string, serial int64, usage x509.ExtKeyUsage) (string, string) {
		k, kerr := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if kerr != nil {
			err = kerr
			return "", ""
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
		der, cerr := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		if cerr != nil {
			err = cerr
			return "", ""
		}
		kder, _ := x509.MarshalECPrivateKey(k)
		return write(name+".crt", "CERTIFICATE", der), write(name+".key", "EC PRIVATE KEY", kder)
	}
	f.ServerCert, f.ServerKey = leaf("server", 2, x509.ExtKeyUsageServerAuth)
	f.ClientCert, f.ClientKey = leaf("client", 3, x509.ExtKeyUsageClientAuth)
	if err != nil {
		return nil, err
	}
	if f.Client, err = tls.LoadX509KeyPair(f.ClientCert, f.ClientKey); err != nil {
		return nil, err
	}
	return f, nil
}

// ClientConfig is a client's configuration trusting the CA, with the
// client certificate or without.
func (f *Files) ClientConfig(withCert bool) *tls.Config {
	c := &tls.Config{RootCAs: f.Pool, ServerName: "localhost"}
	if withCert {
		c.Certificates = []tls.Certificate{f.Client}
	}
	return c
}
