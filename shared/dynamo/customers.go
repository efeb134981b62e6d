package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/vat"
)

// Customers reads customer accounts, records the checks of their VAT
// numbers and changes how they may pay. A customer is the item PK=M#<m>#C#<id> SK=PROFILE (Accounts),
// its customer.Customer in the Doc attribute as JSON.
type Customers struct{ Table Table }

// ErrCustomerChanged is customer.ErrChanged: other writes kept changing
// the customer account while its VAT check was being stored; nothing was
// stored.
var ErrCustomerChanged = customer.ErrChanged

// maxCheckAttempts bounds the attempts of UpdateVATCheck that lose a race
// with another write of the account.
const maxCheckAttempts = 4

// storedCustomer is a customer item as read: its document's bytes, kept to
// condition the write on them, and decoded.
type storedCustomer struct {
	doc string
	c   customer.Customer
}

// Customer reads a customer account with a strongly consistent GetItem (1
// round trip); an unknown or malformed id is customer.ErrUnknown.
func (cs *Customers) Customer(ctx context.Context, m merchant.ID, id string) (customer.Customer, error) {
	s, err := cs.read(ctx, m, id)
	return s.c, err
}

func (cs *Customers) read(ctx context.Context, m merchant.ID, id string) (storedCustomer, error) {
	if !catalog.ValidID(id) {
		return storedCustomer{}, fmt.Errorf("customer %q: %w", id, customer.ErrUnknown)
	}
	pk, sk, err := customerKey(m, id)
	if err != nil {
		return storedCustomer{}, err
	}
	out, err := cs.Table.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(cs.Table.Name), Key: key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return storedCustomer{}, fmt.Errorf("get customer %s of %s: %w", id, m, err)
	}
	return decodeCustomer(out.Item, m, id)
}

// PaymentAccount reads a customer account and its outstanding on account
// ("encours": what its orders on account owe and no one marked paid yet,
// the amount the checkout's credit check adds an order to) in one strongly
// consistent BatchGetItem of the two items (1 round trip); an unknown or
// malformed id is customer.ErrUnknown, a customer without orders on
// account owes zero.
func (cs *Customers) PaymentAccount(ctx context.Context, m merchant.ID, id string) (customer.Customer, decimal.Decimal, error) {
	s, owed, err := cs.readAccount(ctx, m, id)
	return s.c, owed, err
}

// readAccount is PaymentAccount with the customer's document as read.
func (cs *Customers) readAccount(ctx context.Context, m merchant.ID, id string) (storedCustomer, decimal.Decimal, error) {
	if !catalog.ValidID(id) {
		return storedCustomer{}, decimal.Zero, fmt.Errorf("customer %q: %w", id, customer.ErrUnknown)
	}
	pk, sk, err := customerKey(m, id)
	if err != nil {
		return storedCustomer{}, decimal.Zero, err
	}
	cpk, csk, err := creditKey(m, id)
	if err != nil {
		return storedCustomer{}, decimal.Zero, err
	}
	items, err := cs.Table.consistentBatchGet(ctx, []map[string]string{keyOf(pk, sk), keyOf(cpk, csk)})
	if err != nil {
		return storedCustomer{}, decimal.Zero, fmt.Errorf("get the payment account of customer %s of %s: %w", id, m, err)
	}
	s, err := decodeCustomer(items[pk+"|"+sk], m, id)
	if err != nil {
		return storedCustomer{}, decimal.Zero, err
	}
	owed, err := decimalAttr(items[cpk+"|"+csk], AttrOutstanding)
	if err != nil {
		return storedCustomer{}, decimal.Zero, err
	}
	return s, owed, nil
}

// decodeCustomer is the customer item av (nil when absent) as read.
func decodeCustomer(av map[string]types.AttributeValue, m merchant.ID, id string) (storedCustomer, error) {
	doc, ok := av[AttrDoc].(*types.AttributeValueMemberS)
	if !ok {
		return storedCustomer{}, fmt.Errorf("customer %q: %w", id, customer.ErrUnknown)
	}
	s := storedCustomer{doc: doc.Value}
	if err := json.Unmarshal([]byte(doc.Value), &s.c); err != nil {
		return storedCustomer{}, fmt.Errorf("decode customer %s of %s: %w", id, m, err)
	}
	return s, nil
}

// UpdateVATCheck reads the customer (1 round trip), asks check for the
// check of its VAT number, and stores that check on the account as its
// vatCheck in one conditional UpdateItem (1 round trip). The write holds
// only over the document that was read: the account still exists, and no
// one changed it meanwhile (its VAT number in particular), so a check is
// never stored beside a number it was not made for. A write that loses
// such a race reads again and calls check again, up to maxCheckAttempts
// times in all, then fails with ErrCustomerChanged. An error from check
// is returned as is and nothing is written. The rest of the document is
// kept byte for byte, members this code does not know included.
//
// Unknown customers are customer.ErrUnknown.
func (cs *Customers) UpdateVATCheck(ctx context.Context, m merchant.ID, id string, check func(customer.Customer) (vat.Check, error)) (customer.Customer, error) {
	pk, sk, err := customerKey(m, id)
	if err != nil {
		return customer.Customer{}, err
	}
	for attempt := 0; ; attempt++ {
		s, err := cs.read(ctx, m, id)
		if err != nil {
			return customer.Customer{}, err
		}
		c, err := check(s.c)
		if err != nil {
			return customer.Customer{}, err
		}
		doc, err := withMember(s.doc, "vatCheck", c)
		if err != nil {
			return customer.Customer{}, fmt.Errorf("customer %s of %s: %w", id, m, err)
		}
		_, err = cs.Table.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                aws.String(cs.Table.Name),
			Key:                      key(pk, sk),
			UpdateExpression:         aws.String("SET #doc = :new"),
			ConditionExpression:      aws.String("#doc = :old"),
			ExpressionAttributeNames: map[string]string{"#doc": AttrDoc},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":new": &types.AttributeValueMemberS{Value: doc},
				":old": &types.AttributeValueMemberS{Value: s.doc},
			},
		})
		var ccf *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			s.c.VATCheck = &c
			return s.c, nil
		case !errors.As(err, &ccf):
			return customer.Customer{}, fmt.Errorf("store VAT check of customer %s of %s: %w", id, m, err)
		case attempt+1 >= maxCheckAttempts:
			return customer.Customer{}, fmt.Errorf("store VAT check of customer %s of %s: %d attempts: %w", id, m, maxCheckAttempts, ErrCustomerChanged)
		}
		if err := backoff(ctx, attempt); err != nil {
			return customer.Customer{}, err
		}
	}
}

// withMember returns the JSON object doc with member name set to v, its
// other members as they were.
func withMember(doc, name string, v any) (string, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &members); err != nil {
		return "", fmt.Errorf("stored document: %w", err)
	}
	if members == nil {
		return "", errors.New("stored document is not a JSON object")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	members[name] = b
	out, err := json.Marshal(members)
	return string(out), err
}

// UpdatePayment changes how a customer may pay: update receives the
// account as read with its outstanding (readAccount: 1 strongly consistent
// BatchGetItem) and sets its Payment
// (methods and on-account terms), CreditLimit ("encours autorisé") and
// PreferredWarehouse; only these three members of the stored document are
// written, in one conditional UpdateItem (1 round trip) that holds only
// over the document read, so that a write made meanwhile (an ERP import, a
// VAT check) is never lost: the update is read and applied again, up to
// maxCheckAttempts times in all, then fails with ErrCustomerChanged. The
// other members are kept byte for byte. An error from update is returned
// as is and nothing is written; unknown customers are
// customer.ErrUnknown. It returns the account as stored and the
// outstanding read with it (which this write does not change).
func (cs *Customers) UpdatePayment(ctx context.Context, m merchant.ID, id string, update func(*customer.Customer) error) (customer.Customer, decimal.Decimal, error) {
	pk, sk, err := customerKey(m, id)
	if err != nil {
		return customer.Customer{}, decimal.Zero, err
	}
	for attempt := 0; ; attempt++ {
		s, owed, err := cs.readAccount(ctx, m, id)
		if err != nil {
			return customer.Customer{}, decimal.Zero, err
		}
		c := s.c
		c.Payment.Methods = append([]payment.Method(nil), s.c.Payment.Methods...)
		if err := update(&c); err != nil {
			return customer.Customer{}, decimal.Zero, err
		}
		members := map[string]any{"creditLimit": c.CreditLimit, "payment": nil, "preferredWarehouse": nil}
		if len(c.Payment.Methods) > 0 || c.Payment.Terms != nil {
			members["payment"] = c.Payment
		}
		if c.PreferredWarehouse != "" {
			members["preferredWarehouse"] = c.PreferredWarehouse
		}
		doc, err := withMembers(s.doc, members)
		if err != nil {
			return customer.Customer{}, decimal.Zero, fmt.Errorf("customer %s of %s: %w", id, m, err)
		}
		err = replaceDoc(ctx, cs.Table, pk, sk, s.doc, doc)
		var ccf *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			var saved customer.Customer
			if err := json.Unmarshal([]byte(doc), &saved); err != nil {
				return customer.Customer{}, decimal.Zero, fmt.Errorf("decode customer %s of %s: %w", id, m, err)
			}
			return saved, owed, nil
		case !errors.As(err, &ccf):
			return customer.Customer{}, decimal.Zero, fmt.Errorf("store payment of customer %s of %s: %w", id, m, err)
		case attempt+1 >= maxCheckAttempts:
			return customer.Customer{}, decimal.Zero, fmt.Errorf("store payment of customer %s of %s: %d attempts: %w", id, m, maxCheckAttempts, ErrCustomerChanged)
		}
		if err := backoff(ctx, attempt); err != nil {
			return customer.Customer{}, decimal.Zero, err
		}
	}
}

// replaceDoc writes doc as the Doc of item pk/sk only over the document
// old that was read (1 conditional UpdateItem); another write in between
// fails it with a ConditionalCheckFailedException.
func replaceDoc(ctx context.Context, t Table, pk, sk, old, doc string) error {
	_, err := t.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(t.Name),
		Key:                      key(pk, sk),
		UpdateExpression:         aws.String("SET #doc = :new"),
		ConditionExpression:      aws.String("#doc = :old"),
		ExpressionAttributeNames: map[string]string{"#doc": AttrDoc},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":new": &types.AttributeValueMemberS{Value: doc},
			":old": &types.AttributeValueMemberS{Value: old},
		},
	})
	return err
}

// withMembers returns the JSON object doc with each member of members set
// to its value, or removed when the value is nil; its other members stay
// as they were.
func withMembers(doc string, members map[string]any) (string, error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &all); err != nil {
		return "", fmt.Errorf("stored document: %w", err)
	}
	if all == nil {
		return "", errors.New("stored document is not a JSON object")
	}
	for name, v := range members {
		if v == nil {
			delete(all, name)
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return "", err
		}
		all[name] = b
	}
	out, err := json.Marshal(all)
	return string(out), err
}
