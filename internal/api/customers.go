package api

import (
	"net/http"

	"github.com/paywarden/paywarden"
)

type createCustomerRequest struct {
	Email    string            `json:"email"`
	Name     string            `json:"name"`
	Metadata map[string]string `json:"metadata"`
}

func (a *API) createCustomer(w http.ResponseWriter, r *http.Request) error {
	var req createCustomerRequest
	if err := a.decode(w, r, &req, false); err != nil {
		return err
	}
	if err := firstError(
		validEmail("email", req.Email),
		validText("name", req.Name, MaxNameLen),
		validMetadata(req.Metadata),
	); err != nil {
		return err
	}
	c, rec, err := a.stripe.CreateCustomer(r.Context(), stripeKey(w), paywarden.CustomerParams{
		Email: req.Email, Name: req.Name, Metadata: req.Metadata,
	})
	if err != nil {
		return err
	}
	a.writeThrough(r.Context(), rec)
	return writeJSON(w, http.StatusCreated, c)
}

func (a *API) getCustomer(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := validID("id", id, "cus_", false); err != nil {
		return err
	}
	c, err := a.stripe.GetCustomer(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}
