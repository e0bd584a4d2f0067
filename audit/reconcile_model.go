package audit

// ReconcileSummary counts a reconciliation (design.md reconcile JSON).
type ReconcileSummary struct {
	RegistryRows    int `json:"registry_rows"`
	ListRows        int `json:"list_rows"`
	Matched         int `json:"matched"`
	Unregistered    int `json:"unregistered"`
	MissingFromList int `json:"missing_from_list"`
	StatusMismatch  int `json:"status_mismatch"`
	FieldMismatch   int `json:"field_mismatch"`
}

// Difference is one compared field that differs between the registry row and the list row.
// Field is one of status, owner, platform (design.md: the compared fields).
type Difference struct {
	Field    string `json:"field"`
	Registry string `json:"registry"`
	List     string `json:"list"`
}

// ReconcileEntry names one account and its rows in both files (0 = absent from that file).
type ReconcileEntry struct {
	Name           string       `json:"name"`
	Type           string       `json:"type"`
	Owner          string       `json:"owner"`
	Platform       string       `json:"platform"`
	RegistryRow    int          `json:"registry_row"`
	ListRow        int          `json:"list_row"`
	RegistryStatus string       `json:"registry_status"`
	ListStatus     string       `json:"list_status"`
	Differences    []Difference `json:"differences"` // [] when none
}

// Reconciliation is the result of comparing the registry export with a unit's account list:
// what `nmaudit reconcile` prints. Matched holds every matched pair, differences or not; the
// mismatch lists repeat the matched pairs that differ.
type Reconciliation struct {
	Registry string // registry file name
	List     string // account-list file name
	Summary  ReconcileSummary

	Matched, Unregistered, MissingFromList, StatusMismatch, FieldMismatch []ReconcileEntry
}
