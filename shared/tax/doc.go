// Package tax decides the VAT of each line of a quote or an order: the
// regime, the country whose VAT applies, the rate in force on the supply's
// day, the legal mention, and the per-line amounts and per-rate totals. It
// knows nothing of Lambda, HTTP or DynamoDB.
package tax
