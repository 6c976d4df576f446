package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"switchboard/telephony"
	"switchboard/validation"
)

func (s reportingAPI) customerTimeline(c *gin.Context) {
	cu, err := s.app.Contacts.Customer(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, cu)
}

// findCustomer looks a customer up by ?phone= (any format, read in the
// default region), ?email= or ?identity= (a key such as social:instagram:ana).
func (s reportingAPI) findCustomer(c *gin.Context) {
	var key string
	var err error
	switch {
	case c.Query("phone") != "":
		var id telephony.Identity
		if id, err = telephony.PhoneIdentity(c.Query("phone"), s.cfg.Customers.DefaultRegion); err == nil {
			key = id.Key()
		}
	case c.Query("email") != "":
		var id telephony.Identity
		if id, err = telephony.EmailIdentity(c.Query("email")); err == nil {
			key = id.Key()
		}
	default:
		key = c.Query("identity")
	}
	if err != nil || key == "" {
		reason := "give phone, email or identity"
		if err != nil {
			reason = err.Error()
		}
		problem(c, http.StatusUnprocessableEntity, "no identity to look up", validation.Error{Field: "identity", Reason: reason})
		return
	}
	cu, err := s.app.Contacts.CustomerByIdentity(c.Request.Context(), key)
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, cu)
}
