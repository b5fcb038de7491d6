package cli

import "fmt"

// errNotBuilt is the error of a transport whose command has not landed yet.
func errNotBuilt(transport string) error {
	return fmt.Errorf("the %s transport is not part of this build yet", transport)
}
