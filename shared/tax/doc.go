// Package tax decides the VAT of each line of a quote or an order: the
// regime, the country whose VAT applies, the rate in force on the supply's
// day, the legal mention, and the per-line amounts and per-rate totals. It
// knows nothing of Lambda, HTTP or DynamoDB: the caller gives it the rate
// table (DefaultRates().With(the merchant's changes)), the buyer's VAT check
// and the distance-selling threshold state (package vatledger decides it
// from the merchant's ledger).
//
// # The rules (Rates.Decide)
//
// Countries are ISO 3166-1 alpha-2 codes, GR for Greece (EL, its VAT prefix,
// is accepted and read as GR). Monaco (MC) is France for VAT: Directive
// 2006/112/EC art. 7 treats supplies to or from Monaco as supplies to or
// from France (VATCountry). Territories with their own ISO code outside the
// EU's VAT territory (Guadeloupe GP, Réunion RE, Åland AX...) are outside
// the EU here. The seller must be in a member state. A line without a tax
// category is standard-rated.
//
//   - Export: goods shipped outside the EU are exempt under CGI art. 262 I,
//     for a pro or a consumer alike, with MentionExport. The price is shown
//     and invoiced excluding VAT.
//   - B2B domestic: a pro in the seller's country pays the seller country's
//     rate for the category.
//   - B2B intra-EU: a pro in another member state whose VAT number passes
//     validation is exempt under CGI art. 262 ter I (reverse charge), with
//     the mentions "Exonération de TVA, article 262 ter I du CGI" and
//     "Autoliquidation" (Decision.Mentions gives them one by one). The number
//     passes when the buyer's Check is about this number and valid (VIES, or
//     the offline format check: the reason says which, and when); with no
//     check on record, Decide runs the offline format check itself
//     (vat.WellFormed) and the reason says that only the format was checked.
//     The number must be of another member state than the seller's: a
//     French number does not exempt a French seller's delivery to Belgium.
//     It need not be of the ship-to country: CGI art. 262 ter I asks for
//     a number "from another member state", so a German number with goods
//     shipped to Belgium is exempt, and the reason says where each is from.
//   - A pro in another member state without a VAT number, or whose number
//     does not pass validation, is treated as a domestic sale: the seller
//     country's rate, with the reason shown. Such a pro is not treated as a
//     consumer (no distance-selling rule): the issue asks for the domestic
//     treatment, which is also what the merchant invoices until the number is
//     fixed, and once it is, the line becomes exempt.
//   - B2C domestic: a consumer in the seller's country pays the seller
//     country's rate.
//   - B2C intra-EU (distance sale): a consumer in another member state pays
//     the seller country's rate (DistanceSaleOrigin) unless
//     Situation.DistanceSale.Destination says the destination's VAT applies
//     (DistanceSaleDestination): the merchant opted in, or the
//     distance-selling threshold was crossed. The destination's rate for the
//     category applies then; a destination with no rate for it is ErrNoRate.
//
// # The distance-selling threshold (art. 59c)
//
// Directive 2006/112/EC art. 59c sets one EU-wide €10,000 threshold for
// intra-EU distance sales, counted over the current and the previous
// calendar year; when it is exceeded during a year, the destination rule
// applies "as from that time". This package reads it, as the European
// Commission's 2020 explanatory notes on the e-commerce VAT package do, so
// that the supply that takes the total over the threshold is itself taxed at
// destination: the ledger's DistanceSale for an order counts the order
// itself. A total that reaches the threshold without exceeding it (exactly
// €10,000) leaves the seller's VAT. Per-country thresholds of the former
// regime (€35,000 for Belgium) are the ledger's configuration; the engine
// only reads its answer.
//
// # Rates and their dates
//
// Rates hold each country's rate per tax category (standard, intermediate,
// reduced, super-reduced) with the day it applies from. The seed
// (DefaultRates) has the brief's 2025 standard rates of the 27 member
// states with the changes it dates (Estonia 22 → 24 on 1 July 2025, Finland
// 24 → 25.5 on 1 September 2024, Romania 19 → 21 on 1 August 2025, Slovakia
// 20 → 23 on 1 January 2025) and France's 20 / 10 / 5.5 / 2.1. No other
// country's reduced rates are seeded: a country without a rate for a
// category gives ErrNoRate (a *NoRateError naming the country, category and
// day) and merchant staff add the rate (RateChange, validated, through
// Rates.With). A rate applies by calendar day: a supply dated on or after a
// change's From day uses it, so a change at midnight applies to the orders
// of that day on, by their date (the calendar day of Situation.Date in its
// own location: callers give the order's date in the merchant's time zone).
//
// # Amounts and rounding
//
// TaxLine computes each line's VAT as base × rate / 100, rounded half-up to
// the currency's minor unit (0 decimals for JPY, 3 for KWD, 2 for EUR; see
// money.MinorUnits), once per line; the base is rounded the same way and
// the gross amount is base + VAT. Summarize adds the lines' rounded amounts
// per regime, country and rate, and overall, without rounding again: the
// totals per rate and the order's HT, VAT and TTC are exact sums of the
// lines, so they always add up on the invoice.
//
// # Display
//
// PricesIncludeTax is the display rule: pros see prices excluding VAT (HT),
// consumers including VAT (TTC).
package tax
