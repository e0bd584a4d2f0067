package tieba

import (
	"crypto/md5"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
)

// signSalt is the Android client's salt (platforms.md Part 1, "Signing").
const signSalt = "tiebaclient!!!"

// Sign computes the client API's sign parameter: the lower-case hex MD5 of the parameters sorted
// by key and written as key=value with no separator, values as raw UTF-8 (not URL-encoded),
// followed by "tiebaclient!!!". A key given several values contributes each, in order. A "sign"
// key in params is left out, so a received form can be checked with Sign(form) == form.Get("sign").
//
// Check vector (aiotieba's test suite): hello_cosmic=你好42, reverse=1999 →
// 0be9991d2f8371952ab0b9cb14363bc2.
func Sign(params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "sign" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range params[k] {
			b.WriteString(k)
			b.WriteByte('=')
			b.WriteString(v)
		}
	}
	b.WriteString(signSalt)
	sum := md5.Sum([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}
