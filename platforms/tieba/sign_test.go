package tieba

import (
	"net/url"
	"testing"
)

func TestSign(t *testing.T) {
	tests := []struct {
		name   string
		params url.Values
		want   string
	}{
		{
			// aiotieba's vector (platforms.md Part 1): md5 of "hello_cosmic=你好42reverse=1999tiebaclient!!!".
			name:   "aiotieba vector",
			params: url.Values{"reverse": {"1999"}, "hello_cosmic": {"你好42"}},
			want:   "0be9991d2f8371952ab0b9cb14363bc2",
		},
		{
			name:   "an existing sign is not signed",
			params: url.Values{"reverse": {"1999"}, "hello_cosmic": {"你好42"}, "sign": {"stale"}},
			want:   "0be9991d2f8371952ab0b9cb14363bc2",
		},
		{
			// md5("tiebaclient!!!"), computed with md5sum.
			name:   "no params",
			params: url.Values{},
			want:   "8bafcaa5e0b396536d4d7878549705e5",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Sign(tc.params); got != tc.want {
				t.Errorf("Sign(%v) = %s, want %s", tc.params, got, tc.want)
			}
			if got := refSign(tc.params); got != tc.want {
				t.Errorf("the fake server's refSign disagrees: %s", got)
			}
		})
	}
}
