// Package langdetect guesses the language of a customer's message among the
// languages the center serves, with lingua-go.
package langdetect

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/pemistahl/lingua-go"
	"golang.org/x/text/language"
)

// Detector detects among a fixed set of languages.
type Detector struct {
	d    lingua.LanguageDetector
	tags map[lingua.Language]string
	// minConfidence keeps guesses from very short or mixed texts out.
	minConfidence float64
}

// New returns a Detector for the given BCP-47 tags (their base languages).
func New(tags []string) (*Detector, error) {
	d := &Detector{tags: map[lingua.Language]string{}, minConfidence: 0.5}
	var langs []lingua.Language
	for _, t := range tags {
		tag, err := language.Parse(t)
		if err != nil {
			return nil, fmt.Errorf("language %q: %w", t, err)
		}
		base, _ := tag.Base()
		l := lingua.GetLanguageFromIsoCode639_1(lingua.GetIsoCode639_1FromValue(strings.ToUpper(base.String())))
		if l == lingua.Unknown {
			return nil, fmt.Errorf("language %q: not detectable", t)
		}
		if _, dup := d.tags[l]; !dup {
			d.tags[l] = t
			langs = append(langs, l)
		}
	}
	if len(langs) < 2 {
		return d, nil // nothing to choose between
	}
	d.d = lingua.NewLanguageDetectorBuilder().FromLanguages(langs...).WithPreloadedLanguageModels().Build()
	return d, nil
}

// Detect returns the text's language, or false when the text is too short or
// the guess not confident enough.
func (d *Detector) Detect(text string) (string, bool) {
	if d.d == nil {
		return "", false
	}
	letters := 0
	for _, r := range text {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	if letters < 5 {
		return "", false
	}
	vals := d.d.ComputeLanguageConfidenceValues(text)
	if len(vals) == 0 || vals[0].Value() < d.minConfidence {
		return "", false
	}
	tag, ok := d.tags[vals[0].Language()]
	return tag, ok
}
