package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"

	"github.com/redoubt-sec/redoubt/internal/store"
)

// leaseOwner names this process in the store's lease: the message a second
// resume gets quotes it, and acquire reads it back to tell whether the
// holder is still alive.
func leaseOwner() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("redoubt pid %d on %s (%s)", os.Getpid(), host, hex.EncodeToString(b[:]))
}

var ownerRe = regexp.MustCompile(`^redoubt pid (\d+) on (.*) \([0-9a-f]+\)$`)

// acquire leases the run to owner. A lease held by a process of this
// machine that no longer exists (it was killed, and its lease has not
// lapsed yet) is taken over at once, so that a resume right after a kill
// works; any other holder is reported.
func acquire(ctx context.Context, st store.Store, runID, owner string) error {
	err := st.Acquire(ctx, runID, owner, leaseTTL)
	var le *store.LeaseError
	if !errors.As(err, &le) {
		return err
	}
	m := ownerRe.FindStringSubmatch(le.Holder)
	host, _ := os.Hostname()
	if m == nil || m[2] != host {
		return err
	}
	pid, perr := strconv.Atoi(m[1])
	if perr != nil || pid == os.Getpid() || processAlive(pid) {
		return err
	}
	return st.Takeover(ctx, runID, le.Holder, owner, leaseTTL)
}
