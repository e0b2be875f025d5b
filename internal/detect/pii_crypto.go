package detect

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"strings"
)

// Checksums of crypto wallet addresses: Bitcoin Base58Check (double
// SHA-256), bech32/bech32m (BIP-173, BIP-350) and Ethereum's EIP-55 mixed
// case (Keccak-256, written here because the standard library has only
// SHA-3, whose padding differs).

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// validBase58Check reports whether s decodes to a 25-byte Bitcoin address
// (version 0x00 P2PKH or 0x05 P2SH) whose last four bytes are the first
// four of the double SHA-256 of the rest.
func validBase58Check(s string) bool {
	var out [25]byte
	for i := 0; i < len(s); i++ {
		v := strings.IndexByte(base58Alphabet, s[i])
		if v < 0 {
			return false
		}
		carry := v
		for k := len(out) - 1; k >= 0; k-- {
			carry += int(out[k]) * 58
			out[k] = byte(carry)
			carry >>= 8
		}
		if carry != 0 {
			return false // more than 25 bytes
		}
	}
	// Each leading '1' stands for a leading zero byte; the big-number
	// decoding above must agree on how many there are.
	ones := 0
	for ones < len(s) && s[ones] == '1' {
		ones++
	}
	zeros := 0
	for zeros < len(out) && out[zeros] == 0 {
		zeros++
	}
	if ones != zeros {
		return false
	}
	if out[0] != 0x00 && out[0] != 0x05 {
		return false
	}
	h1 := sha256.Sum256(out[:21])
	h2 := sha256.Sum256(h1[:])
	return string(h2[:4]) == string(out[21:])
}

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// validBech32 reports whether s is a bech32 or bech32m string with the
// Bitcoin human-readable part "bc" (or "tb" for testnet), one case
// throughout, and a valid checksum.
func validBech32(s string) bool {
	if len(s) > 90 {
		return false
	}
	lower := strings.ToLower(s)
	if lower != s && strings.ToUpper(s) != s {
		return false
	}
	sep := strings.LastIndexByte(lower, '1')
	if sep < 1 || len(lower)-sep-1 < 6 {
		return false
	}
	hrp := lower[:sep]
	if hrp != "bc" && hrp != "tb" {
		return false
	}
	chk := uint32(1)
	poly := func(v byte) {
		b := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i, g := range [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3} {
			if (b>>i)&1 == 1 {
				chk ^= g
			}
		}
	}
	for i := 0; i < len(hrp); i++ {
		poly(hrp[i] >> 5)
	}
	poly(0)
	for i := 0; i < len(hrp); i++ {
		poly(hrp[i] & 31)
	}
	for i := sep + 1; i < len(lower); i++ {
		v := strings.IndexByte(bech32Charset, lower[i])
		if v < 0 {
			return false
		}
		poly(byte(v))
	}
	return chk == 1 || chk == 0x2bc830a3
}

// validEIP55 checks the mixed-case checksum of a 40-hex-digit Ethereum
// address: a letter is upper case exactly when the matching nibble of the
// Keccak-256 of the lower-case address is 8 or more.
func validEIP55(hex string) bool {
	h := keccak256([]byte(strings.ToLower(hex)))
	for i := 0; i < len(hex); i++ {
		c := hex[i]
		if isDigit(c) {
			continue
		}
		nib := h[i/2] >> 4
		if i%2 == 1 {
			nib = h[i/2] & 0x0f
		}
		if (nib >= 8) != (c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// keccak256 is the original Keccak-256 (as used by Ethereum), not SHA3-256.
func keccak256(msg []byte) [32]byte {
	const rate = 136
	var st [25]uint64
	// Absorb full blocks, then the padded last one (0x01 ... 0x80).
	for len(msg) >= rate {
		for i := 0; i < rate/8; i++ {
			st[i] ^= binary.LittleEndian.Uint64(msg[i*8:])
		}
		keccakF(&st)
		msg = msg[rate:]
	}
	var last [rate]byte
	copy(last[:], msg)
	last[len(msg)] ^= 0x01
	last[rate-1] ^= 0x80
	for i := 0; i < rate/8; i++ {
		st[i] ^= binary.LittleEndian.Uint64(last[i*8:])
	}
	keccakF(&st)
	var out [32]byte
	for i := 0; i < 4; i++ {
		binary.LittleEndian.PutUint64(out[i*8:], st[i])
	}
	return out
}

// keccakF is the Keccak-f[1600] permutation.
func keccakF(a *[25]uint64) {
	rc := [24]uint64{
		0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
		0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
		0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
		0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
		0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
		0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
	}
	rot := [25]int{0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14}
	for round := 0; round < 24; round++ {
		var c, d [5]uint64
		for x := 0; x < 5; x++ {
			c[x] = a[x] ^ a[x+5] ^ a[x+10] ^ a[x+15] ^ a[x+20]
		}
		for x := 0; x < 5; x++ {
			d[x] = c[(x+4)%5] ^ bits.RotateLeft64(c[(x+1)%5], 1)
		}
		for i := 0; i < 25; i++ {
			a[i] ^= d[i%5]
		}
		// Rho and pi: b[y][2x+3y] = rot(a[x][y]).
		var b [25]uint64
		for x := 0; x < 5; x++ {
			for y := 0; y < 5; y++ {
				b[y+5*((2*x+3*y)%5)] = bits.RotateLeft64(a[x+5*y], rot[x+5*y])
			}
		}
		// Chi.
		for y := 0; y < 5; y++ {
			for x := 0; x < 5; x++ {
				a[x+5*y] = b[x+5*y] ^ (^b[(x+1)%5+5*y] & b[(x+2)%5+5*y])
			}
		}
		a[0] ^= rc[round]
	}
}
