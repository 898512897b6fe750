package amop

// The adapter's credentials and the checks of what a node says it is.

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/amoptui/amoptui/amop/guard"
	"github.com/amoptui/amoptui/amop/wire"
	"github.com/amoptui/amoptui/userfile"
)

// credentialSource gathers the configured TLS material, inline PEM first,
// else the files; errors name the file.
func credentialSource(cfg Config) (guard.Source, error) {
	src := guard.Source{CA: cfg.CAPEM, Cert: cfg.CertPEM, Key: cfg.KeyPEM,
		CAName: "inline ca_pem", CertName: "inline cert_pem", KeyName: "inline key_pem"}
	read := func(dst *[]byte, name *string, path, what string) error {
		if len(*dst) > 0 {
			return nil
		}
		if path == "" {
			return fmt.Errorf("amop: no %s configured", what)
		}
		b, err := userfile.Read(path, userfile.PEM)
		if err != nil {
			return fmt.Errorf("amop: %s: %w", what, err)
		}
		*dst, *name = b, path
		return nil
	}
	if err := read(&src.CA, &src.CAName, cfg.CAFile, "CA certificate (ca.crt)"); err != nil {
		return src, err
	}
	if err := read(&src.Cert, &src.CertName, cfg.CertFile, "SDK certificate (sdk.crt)"); err != nil {
		return src, err
	}
	if err := read(&src.Key, &src.KeyName, cfg.KeyFile, "SDK key (sdk.key)"); err != nil {
		return src, err
	}
	return src, nil
}

func loadCredentials(cfg Config) (*guard.Credentials, error) {
	src, err := credentialSource(cfg)
	if err != nil {
		return nil, &ConfigError{err}
	}
	c, err := guard.LoadCredentials(src, time.Now())
	if err != nil {
		return nil, &ConfigError{fmt.Errorf("amop: %w", err)}
	}
	return c, nil
}

// checkNode is what go-sdk's client.Dial checks, with errors that name the
// expected and the actual value.
func checkNode(chainID int64, sm bool) func(wire.ClientVersion) error {
	return func(v wire.ClientVersion) error {
		if !isVersion(v.SupportedVersion) {
			return fmt.Errorf("the node reports Supported Version %q, not x.y.z", v.SupportedVersion)
		}
		nodeSM := isSMVersion(v.FiscoBcosVersion)
		if nodeSM != sm {
			if nodeSM {
				return fmt.Errorf("the node runs the SM (guomi) crypto suite (FISCO-BCOS Version %q) but sm_crypto is false", v.FiscoBcosVersion)
			}
			return fmt.Errorf("sm_crypto is true but the node does not run the SM crypto suite (FISCO-BCOS Version %q)", v.FiscoBcosVersion)
		}
		id, err := strconv.ParseInt(v.ChainID, 10, 64)
		if err != nil {
			return fmt.Errorf("the node reports Chain Id %q, not a number", v.ChainID)
		}
		if id != chainID {
			return fmt.Errorf("chain id mismatch: the node is on chain %d, the configuration expects chain %d", id, chainID)
		}
		return nil
	}
}

// isSMVersion is go-sdk's test for an SM (guomi) node: "gm" or "GM" in its
// FISCO-BCOS Version.
func isSMVersion(v string) bool { return strings.Contains(v, "gm") || strings.Contains(v, "GM") }

func isVersion(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if _, err := strconv.Atoi(p); err != nil {
			return false
		}
	}
	return true
}
