package tieba

import (
	"fmt"
	"strconv"

	"github.com/nmaudit/nmaudit/platforms"
)

// Labels Tieba faults carry where the generic reason wording is not the platform's own. Kept
// here so the wording users see lives in one place.
const (
	labelUserNotFound = "用户不存在"
	labelHidden       = "动态已隐藏"
	labelCaptcha      = "触发安全验证"
)

// codeReason is a client-API error_code the adapter classifies more precisely than "平台返回错误".
type codeReason struct {
	reason platforms.Reason
	label  string // replaces the reason's wording when set
}

// errorCodes maps client-API error_code values to reasons. Every other non-zero code is
// ReasonPlatformError with the platform's error_msg.
//
// UNVERIFIED: platforms.md Part 2 §3 found no primary source for Tieba's codes. These two come
// from user reports against other client-API endpoints, not from the userpost or frs/page
// responses themselves:
//   - 1 "用户未登录或登录失败，请更换账号或重试" (lumina37/aiotieba#116; iikira/BaiduPCS-Go#758,
//     answered for an invalid BDUSS);
//   - 110000 "请先登录" (lumina37/aiotieba#81, an endpoint that needs BDUSS called without one).
//
// Both mean the BDUSS is missing, expired or rejected, so both are ReasonLoginRequired. Codes
// for 吧不存在, 本吧暂不开放 and 用户不存在 are unknown and deliberately not guessed: they stay
// platform errors, which are 待核查 all the same, with Tieba's own message in the detail.
var errorCodes = map[string]codeReason{
	"1":      {reason: platforms.ReasonLoginRequired},
	"110000": {reason: platforms.ReasonLoginRequired},
}

// checkCode turns a client-API error_code into nil (success) or a Fault. A response without an
// error_code is not trusted: every real client-API answer carries one, and reading a body like
// {} as an empty, successful list would turn a fault into a verdict.
func (f *Fetcher) checkCode(code *flex, msg, rawURL string) error {
	if code == nil {
		return f.fault(platforms.ReasonBadResponse, "", "响应缺少 error_code", rawURL, nil)
	}
	if code.isZero() {
		return nil
	}
	if _, err := strconv.ParseInt(string(*code), 10, 64); err != nil {
		// Neither 0/"0" nor any other integer: not a code the contract knows, so not success.
		return f.fault(platforms.ReasonBadResponse, "", fmt.Sprintf("error_code 取值无法识别：%q", string(*code)), rawURL, nil)
	}
	detail := fmt.Sprintf("error_code %s", *code)
	if msg != "" {
		detail += " " + msg
	}
	if c, ok := errorCodes[string(*code)]; ok {
		return f.fault(c.reason, c.label, detail, rawURL, nil)
	}
	return f.fault(platforms.ReasonPlatformError, "", detail, rawURL, nil)
}
