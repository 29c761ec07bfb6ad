package conf

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"path/filepath"
	"strconv"
	"strings"
)

// frontTLS loads the certificate of the MySQL listener.
func (l *loader) frontTLS(raw *rawTLS) *TLS {
	s := l.src
	if raw.Cert == "" || raw.Key == "" {
		if raw.Cert == "" {
			s.errorf("tls.cert", "required (a PEM certificate file)")
		}
		if raw.Key == "" {
			s.errorf("tls.key", "required (the PEM private key of tls.cert)")
		}
		return nil
	}
	cert, ok := l.keyPair("tls", raw.Cert, raw.Key)
	if !ok {
		return nil
	}
	return &TLS{Config: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, Require: raw.Require}
}

// backendTLS builds the client TLS settings of the shard connections; each
// shard's copy names its own host (shardTLS).
func (l *loader) loadBackendTLS(raw *rawBackendTLS) *tls.Config {
	const path = "backend.tls"
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: raw.SkipVerify}
	if raw.CA != "" {
		data, err := l.readFile(l.relative(raw.CA))
		if err != nil {
			l.src.errorf(path+".ca", "%v", err)
			return nil
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(data) {
			l.src.errorf(path+".ca", "%s holds no PEM certificate", raw.CA)
			return nil
		}
	}
	if raw.Cert != "" || raw.Key != "" {
		cert, ok := l.keyPair(path, raw.Cert, raw.Key)
		if !ok {
			return nil
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg
}

// shardTLS is the backend TLS config for one shard: its certificate must name
// the host of the shard's address.
func shardTLS(base *tls.Config, address string) *tls.Config {
	if base == nil {
		return nil
	}
	cfg := base.Clone()
	if host, _, err := net.SplitHostPort(address); err == nil {
		cfg.ServerName = host
	}
	return cfg
}

func (l *loader) keyPair(path, certFile, keyFile string) (tls.Certificate, bool) {
	certPEM, err := l.readFile(l.relative(certFile))
	if err != nil {
		l.src.errorf(path+".cert", "%v", err)
		return tls.Certificate{}, false
	}
	keyPEM, err := l.readFile(l.relative(keyFile))
	if err != nil {
		l.src.errorf(path+".key", "%v", err)
		return tls.Certificate{}, false
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		l.src.errorf(path+".cert", "%s and %s: %v", certFile, keyFile, err)
		return tls.Certificate{}, false
	}
	return cert, true
}

// relative resolves a path of the config against the config's directory.
func (l *loader) relative(file string) string {
	if filepath.IsAbs(file) {
		return file
	}
	return filepath.Join(filepath.Dir(l.path), file)
}

// maxMaxAllowedPacket is the largest max_allowed_packet MySQL accepts (1 GiB).
const maxMaxAllowedPacket = 1 << 30

// parseSize reads a byte count as my.cnf writes it: 67108864, 64M, 1G, 512K.
func parseSize(s *source, path, text string) int {
	t := strings.TrimSpace(text)
	mult := 1
	if n := len(t); n > 0 {
		switch t[n-1] | 0x20 {
		case 'k':
			mult, t = 1<<10, t[:n-1]
		case 'm':
			mult, t = 1<<20, t[:n-1]
		case 'g':
			mult, t = 1<<30, t[:n-1]
		}
	}
	n, err := strconv.Atoi(t)
	if err != nil || n <= 0 || n > maxMaxAllowedPacket/mult {
		s.errorf(path, "%q is not a size from 1024 bytes to 1G (like 67108864, 64M, 1G)", text)
		return 0
	}
	if n*mult < 1024 {
		s.errorf(path, "%q is below MySQL's minimum of 1024 bytes", text)
	}
	return n * mult
}
