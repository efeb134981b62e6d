package dynamo

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/merchant"
)

// ERPAccounts applies the ERP's customer accounts (F_COMPTET) and sales
// reps (F_COLLABORATEUR) with the stamp engine (applyERP, erpapply.go).
//
// Keys:
//
//	customer  PK=M#<m>#C#<id>    SK=PROFILE  Doc=customer.Customer, ErpStamp/ErpJob/ErpLine (ErpSeen: erpsweep.go),
//	                                         GSI1PK=M#<m>#ERPCUSTOMERS GSI1SK=<id> (the customers the ERP wrote)
//	rep       PK=M#<m>#REP#<id>  SK=PROFILE  Doc=customer.Rep, ErpStamp/ErpJob/ErpLine (the rep's row),
//	                                         ErpParts {"C:<customer>": stamp} (the portfolio's members)
//
// A customer row merges onto the stored account with customer.MergeERP
// (the site keeps its VAT check unless the number changed, the payment
// methods it narrowed and the preferred warehouse). When the row is newer
// than the account and names another rep than the stored one, the rep's
// portfolio follows: the customer joins the new rep's portfolio and
// leaves the old rep's, each as a part of the rep item stamped with the
// customer row's stamp ("C:<customer>"), so that an older customer row
// never moves a customer back, and writes to one rep from many customers
// of a chunk are one conditional write of its item. A rep named by a
// customer before any reps file is created with its id alone; its row
// fills its name later.
//
// A rep row sets the rep's name and, when it carries one (Comptoir
// profile), replaces its portfolio; without one the portfolio is kept.
//
// Round trips for a chunk of n customers: the engine's for the n accounts
// (ceil(n/100) BatchGetItem + ceil(n/100) TransactWriteItems, in
// parallel), then, when some changed rep, the engine's for the reps they
// touch (one BatchGetItem and one TransactWriteItems per 100 reps). For
// a chunk of n reps: the engine's for n items.
type ERPAccounts struct {
	Table Table
}

var _ erp.Applier = (*ERPAccounts)(nil)

// Item types of the accounts the ERP writes, as Accounts writes them.
const (
	typeCustomer = "Customer"
	typeRep      = "Rep"
)

// Apply writes the chunk's customers or reps as the type's comment says.
func (a *ERPAccounts) Apply(ctx context.Context, c erp.Chunk) (erp.Counts, []erp.RowError, error) {
	if _, err := merchantPrefix(c.Merchant); err != nil {
		return erp.Counts{}, nil, err
	}
	switch c.Kind {
	case erp.KindCustomers:
		return a.customers(ctx, c)
	case erp.KindReps:
		return a.reps(ctx, c)
	}
	return erp.Counts{}, nil, fmt.Errorf("ERP accounts: chunk %d of job %s is of kind %q", c.Seq, c.Job, c.Kind)
}

// repMove is what a customer row that was merged does to portfolios: the
// rep the stored account had, and the row's.
type repMove struct {
	merged   bool
	from, to string
}

// customers applies customer rows, then moves the customers whose rep
// changed between portfolios.
func (a *ERPAccounts) customers(ctx context.Context, c erp.Chunk) (erp.Counts, []erp.RowError, error) {
	var (
		writes   []erpWrite
		pre      erp.Counts
		rejected []erp.RowError
	)
	moves := make([]repMove, len(c.Records))
	recIndex := make([]int, 0, len(c.Records))
	listPK, err := erpCustomersPK(c.Merchant)
	if err != nil {
		return erp.Counts{}, nil, err
	}
	for i := range c.Records {
		r := &c.Records[i]
		if rej := checkCustomerRecord(r); rej != nil {
			pre.Rejected++
			rejected = append(rejected, *rej)
			continue
		}
		pk, sk, err := customerKey(c.Merchant, r.Customer.ID)
		if err != nil {
			return erp.Counts{}, nil, err
		}
		row := *r.Customer
		writes = append(writes, erpWrite{PK: pk, SK: sk, Type: typeCustomer, Rec: r, Seen: seenStamp(c),
			Extra: map[string]types.AttributeValue{
				AttrGSI1PK: &types.AttributeValueMemberS{Value: listPK},
				AttrGSI1SK: &types.AttributeValueMemberS{Value: r.Customer.ID},
			},
			Merge: func(stored []byte) (any, bool, *erp.RowError) {
				var prev *customer.Customer
				var before []byte
				if stored != nil {
					var s customer.Customer
					if err := json.Unmarshal(stored, &s); err != nil {
						return nil, false, &erp.RowError{Line: r.Line, Reason: "the stored account cannot be read: " + err.Error()}
					}
					prev = &s
					before, _ = json.Marshal(s)
				}
				merged := customer.MergeERP(prev, row)
				mv := repMove{merged: true, to: merged.Rep}
				if prev != nil {
					mv.from = prev.Rep
				}
				moves[i] = mv
				after, err := json.Marshal(merged)
				if err != nil {
					return nil, false, &erp.RowError{Line: r.Line, Reason: err.Error()}
				}
				return merged, string(after) != string(before), nil
			}})
		recIndex = append(recIndex, i)
	}
	counts, rejects, err := a.Table.applyERP(ctx, c.Job, writes)
	if err != nil {
		return erp.Counts{}, nil, err
	}
	if err := a.movePortfolios(ctx, c, moves); err != nil {
		return erp.Counts{}, nil, err
	}
	return counts.Add(pre), append(rejected, rejects...), nil
}

// movePortfolios writes, for each merged customer row whose rep is not
// the stored one, the customer into its new rep's portfolio and out of
// the old one's, as parts of the rep items stamped with the row's stamp.
func (a *ERPAccounts) movePortfolios(ctx context.Context, c erp.Chunk, moves []repMove) error {
	var writes []erpWrite
	for i, mv := range moves {
		if !mv.merged || mv.from == mv.to {
			continue
		}
		r := &c.Records[i]
		id := r.Customer.ID
		if mv.to != "" {
			w, err := a.portfolioWrite(c.Merchant, r, mv.to, id, true)
			if err != nil {
				return err
			}
			writes = append(writes, w)
		}
		if mv.from != "" && catalog.ValidID(mv.from) {
			w, err := a.portfolioWrite(c.Merchant, r, mv.from, id, false)
			if err != nil {
				return err
			}
			writes = append(writes, w)
		}
	}
	if len(writes) == 0 {
		return nil
	}
	if _, _, err := a.Table.applyERP(ctx, c.Job, writes); err != nil {
		return fmt.Errorf("move customers between rep portfolios: %w", err)
	}
	return nil
}

// portfolioWrite puts customer id into rep's portfolio (join) or takes it
// out, under the part stamp of that customer.
func (a *ERPAccounts) portfolioWrite(m merchant.ID, r *erp.Record, rep, id string, join bool) (erpWrite, error) {
	pk, sk, err := repKey(m, rep)
	if err != nil {
		return erpWrite{}, err
	}
	return erpWrite{PK: pk, SK: sk, Type: typeRep, Rec: r, Part: "C:" + id,
		Merge: func(stored []byte) (any, bool, *erp.RowError) {
			rp := customer.Rep{ID: rep, Merchant: m, Customers: []string{}}
			if stored == nil && !join {
				return nil, false, nil // no such rep: nothing to leave
			}
			if stored != nil {
				if err := json.Unmarshal(stored, &rp); err != nil {
					return nil, false, &erp.RowError{Line: r.Line, Column: "rep", Reason: "the stored rep cannot be read: " + err.Error()}
				}
			}
			var changed bool
			if join {
				rp, changed = rp.WithCustomer(id)
			} else {
				rp, changed = rp.WithoutCustomer(id)
			}
			return rp, changed || stored == nil, nil
		}}, nil
}

// checkCustomerRecord refuses a record that cannot be written as an
// account.
func checkCustomerRecord(r *erp.Record) *erp.RowError {
	switch {
	case r.Customer == nil:
		return &erp.RowError{Line: r.Line, Reason: "not a customer account"}
	case !catalog.ValidID(r.Customer.ID):
		return &erp.RowError{Line: r.Line, Column: "id", Reason: "not an account number: 1 to 64 bytes without spaces, '#' or '/'", Value: erp.Truncate(r.Customer.ID, 80)}
	case r.Customer.Rep != "" && !catalog.ValidID(r.Customer.Rep):
		return &erp.RowError{Line: r.Line, Column: "rep", Reason: "not a rep code: 1 to 64 bytes without spaces, '#' or '/'", Value: erp.Truncate(r.Customer.Rep, 80)}
	}
	return nil
}

// reps applies rep rows: the name, and the portfolio when the row carries
// one.
func (a *ERPAccounts) reps(ctx context.Context, c erp.Chunk) (erp.Counts, []erp.RowError, error) {
	var (
		writes   []erpWrite
		pre      erp.Counts
		rejected []erp.RowError
	)
	for i := range c.Records {
		r := &c.Records[i]
		if rej := checkRepRecord(r); rej != nil {
			pre.Rejected++
			rejected = append(rejected, *rej)
			continue
		}
		pk, sk, err := repKey(c.Merchant, r.Rep.ID)
		if err != nil {
			return erp.Counts{}, nil, err
		}
		row := *r.Rep
		writes = append(writes, erpWrite{PK: pk, SK: sk, Type: typeRep, Rec: r,
			Merge: func(stored []byte) (any, bool, *erp.RowError) {
				rp := customer.Rep{ID: row.ID, Merchant: c.Merchant, Customers: []string{}}
				var before []byte
				if stored != nil {
					if err := json.Unmarshal(stored, &rp); err != nil {
						return nil, false, &erp.RowError{Line: r.Line, Reason: "the stored rep cannot be read: " + err.Error()}
					}
					before, _ = json.Marshal(rp)
				}
				rp.ID, rp.Name, rp.Merchant = row.ID, row.Name, c.Merchant
				if row.Customers != nil {
					rp.Customers = append([]string{}, row.Customers...)
				}
				after, err := json.Marshal(rp)
				if err != nil {
					return nil, false, &erp.RowError{Line: r.Line, Reason: err.Error()}
				}
				return rp, string(after) != string(before), nil
			}})
	}
	counts, rejects, err := a.Table.applyERP(ctx, c.Job, writes)
	if err != nil {
		return erp.Counts{}, nil, err
	}
	return counts.Add(pre), append(rejected, rejects...), nil
}

// checkRepRecord refuses a record that cannot be written as a rep.
func checkRepRecord(r *erp.Record) *erp.RowError {
	switch {
	case r.Rep == nil:
		return &erp.RowError{Line: r.Line, Reason: "not a sales rep"}
	case !catalog.ValidID(r.Rep.ID):
		return &erp.RowError{Line: r.Line, Column: "id", Reason: "not a rep code: 1 to 64 bytes without spaces, '#' or '/'", Value: erp.Truncate(r.Rep.ID, 80)}
	}
	for _, id := range r.Rep.Customers {
		if !catalog.ValidID(id) {
			return &erp.RowError{Line: r.Line, Column: "customers", Reason: "not an account number: 1 to 64 bytes without spaces, '#' or '/'", Value: erp.Truncate(id, 80)}
		}
	}
	return nil
}
