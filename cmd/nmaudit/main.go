// Command nmaudit audits government new-media accounts (政务新媒体) against the national
// inspection rules and prints the reports inspection offices file. See README.md.
package main

import (
	"os"

	_ "time/tzdata" // Asia/Shanghai must load on machines without a zoneinfo database
)

func main() {
	stop := startProfiles()
	code := Main(os.Args[1:], defaultStreams())
	stop()
	os.Exit(code)
}
