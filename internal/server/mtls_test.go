package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/internal/server"
)

// pki is a test certificate authority with the files a gateway needs.
type pki struct {
	dir      string
	ca       *x509.Certificate
	caKey    *ecdsa.PrivateKey
	caFile   string
	pool     *x509.CertPool
	serial   int64
	certFile string // the server's certificate, signed by ca, for 127.0.0.1
	keyFile  string
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	p := &pki{dir: t.TempDir(), serial: 1}
	p.ca, p.caKey = p.issue(t, "test CA", nil, nil, true)
	p.caFile = p.write(t, "ca.pem", "CERTIFICATE", p.ca.Raw)
	p.pool = x509.NewCertPool()
	p.pool.AddCert(p.ca)
	cert, key := p.issue(t, "bosa-gateway", p.ca, p.caKey, false, x509.ExtKeyUsageServerAuth)
	p.certFile = p.write(t, "server.pem", "CERTIFICATE", cert.Raw)
	p.keyFile = p.writeKey(t, "server-key.pem", key)
	return p
}

// issue makes a certificate signed by parent (self-signed when parent is nil).
func (p *pki) issue(t *testing.T, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, isCA bool, usage ...x509.ExtKeyUsage) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p.serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(p.serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: usage,
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	if isCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign|x509.KeyUsageDigitalSignature
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent, parentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func (p *pki) write(t *testing.T, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func (p *pki) writeKey(t *testing.T, name string, key *ecdsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return p.write(t, name, "EC PRIVATE KEY", der)
}

// client returns a client certificate signed by the CA (or self-signed: a stranger).
func (p *pki) client(t *testing.T, cn string, trusted bool) tls.Certificate {
	t.Helper()
	var cert *x509.Certificate
	var key *ecdsa.PrivateKey
	if trusted {
		cert, key = p.issue(t, cn, p.ca, p.caKey, false, x509.ExtKeyUsageClientAuth)
	} else {
		cert, key = p.issue(t, cn, nil, nil, false, x509.ExtKeyUsageClientAuth)
	}
	return tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}
}

// TestMutualTLS: with a client CA configured, gRPC and HTTP (REST, which then reaches the gRPC
// services over the in-process connection) serve clients with a certificate signed by that CA, and
// refuse clients without a certificate or with one from another issuer. With TLS only, clients
// need no certificate (TestTLS covers plain TLS further).
func TestMutualTLS(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	e := startEnv(t, func(c *server.Config) {
		c.TLSCertFile, c.TLSKeyFile, c.TLSClientCAFile = p.certFile, p.keyFile, p.caFile
	})
	tlsOnly := startEnv(t, func(c *server.Config) { c.TLSCertFile, c.TLSKeyFile = p.certFile, p.keyFile })
	for _, tc := range []struct {
		name    string
		env     *env
		certs   []tls.Certificate
		allowed bool
	}{
		{"mTLS, client certificate from the CA", e, []tls.Certificate{p.client(t, "svc-a", true)}, true},
		{"mTLS, no client certificate", e, nil, false},
		{"mTLS, self-signed client certificate", e, []tls.Certificate{p.client(t, "mallory", false)}, false},
		{"TLS only, no client certificate", tlsOnly, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &tls.Config{RootCAs: p.pool, Certificates: tc.certs, MinVersion: tls.VersionTLS12}
			conn, err := grpc.NewClient(tc.env.gw.GRPCAddr(), grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err = bosav1.NewConnectorServiceClient(conn).GetConnector(ctx, &bosav1.GetConnectorRequest{Connector: "github"})
			if (err == nil) != tc.allowed {
				t.Errorf("gRPC: %v, allowed %v", err, tc.allowed)
			}
			hc := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
			resp, err := hc.Get("https://" + tc.env.gw.HTTPAddr() + "/v1/connectors/github")
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if ok := err == nil && resp.StatusCode == http.StatusOK; ok != tc.allowed {
				t.Errorf("REST: %v, allowed %v", err, tc.allowed)
			}
			if tc.allowed {
				// A REST user journey step through the in-process connection, with metadata.
				resp, err := hc.Post("https://"+tc.env.gw.HTTPAddr()+"/v1/users", "application/json", strings.NewReader(`{"identifier": "tls-`+tc.name[:4]+`"}`))
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Errorf("REST create user: %v %v", resp, err)
				} else {
					resp.Body.Close()
				}
			}
		})
	}
	if _, err := (server.Config{TLSClientCAFile: p.caFile, GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Logger: discard()}).Complete(); err == nil {
		t.Error("Complete accepted a client CA without a server certificate")
	}
	if _, err := (server.Config{TLSCertFile: p.certFile, TLSKeyFile: p.keyFile, TLSClientCAFile: p.keyFile, GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Logger: discard()}).Complete(); err == nil {
		t.Error("Complete accepted a client CA file without certificates")
	}
}
