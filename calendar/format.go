package calendar

import (
	"strings"
	"sync"
	"time"

	"github.com/goodsign/monday"
	"golang.org/x/text/language"
)

// locales matches a customer's language to the closest locale whose date
// formats and month and day names are known (monday's CLDR-derived tables).
var locales = sync.OnceValues(func() (language.Matcher, []monday.Locale) {
	all := monday.ListLocales()
	// English (US) first: the fallback for a language without a locale.
	for i, l := range all {
		if l == monday.LocaleEnUS {
			all[0], all[i] = all[i], all[0]
		}
	}
	tags := make([]language.Tag, len(all))
	for i, l := range all {
		tags[i] = language.Make(strings.ReplaceAll(string(l), "_", "-"))
	}
	return language.NewMatcher(tags), all
})

// FormatWhen writes a moment for a customer: in the given zone, with the
// date and time as the customer's language writes them ("Monday, March 2,
// 2026 9:00 AM CET", "lunes, 2 de marzo de 2026 09:00 CET").
func FormatWhen(t time.Time, loc *time.Location, lang string) string {
	m, all := locales()
	tag, _ := language.Parse(lang)
	_, i, _ := m.Match(tag)
	l := all[i]
	layout := monday.FullFormatsByLocale[l] + " " + monday.TimeFormatsByLocale[l] + " MST"
	return monday.Format(t.In(loc), layout, l)
}
